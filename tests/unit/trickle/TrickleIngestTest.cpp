// TrickleIngest: real MPEG-TS bytes in (x264 + Opus or AAC, muxed by mpegtsmux), what a real
// Stream receives out: decoded frames (count, size), Opus audio whatever the input's audio.
#include "trickle/TrickleIngest.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdlib>
#include <random>

#include "../stream/FakeSessions.h"
#include "TrickleMedia.h"
#include "media/RunningTime.h"
#include "stream/Stream.h"

namespace cs::trickle {
namespace {

using test::FakeViewer;
using test::makeTs;
using test::sessionInfo;
using test::TsAudio;

class TrickleIngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    stream_ = std::make_shared<Stream>("s", 500'000, loop_);
    audio_ = std::make_shared<FakeViewer>(sessionInfo("a", "s"), std::nullopt, true);
    stream_->addViewer(audio_);
  }
  void TearDown() override {
    loop_.invokeSync([&] {
      if (ingest_) ingest_->stop();
      stream_->shutdown();
    });
  }

  TrickleIngest& make(TrickleIngest::Options opts = {}) {
    ingest_ =
        std::make_shared<TrickleIngest>(sessionInfo("p", "s"), std::move(opts), stream_, loop_);
    ingest_->onEnded([this](const std::string& why) {
      std::lock_guard lock(mu_);
      endReason_ = why;
      cv_.notify_all();
    });
    ingest_->start();
    return *ingest_;
  }

  // Pushes the bytes in chunks of a trickle read's size, then ends the input.
  void feed(const std::vector<uint8_t>& ts, size_t chunk = 4096) {
    for (size_t i = 0; i < ts.size(); i += chunk)
      ingest_->push(ts.data() + i, std::min(chunk, ts.size() - i));
  }

  // The session's end (EOS through the whole pipeline, or an error).
  std::string waitEnded() {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(30), [&] { return !endReason_.empty(); });
    return endReason_;
  }

  MainLoop loop_;
  std::shared_ptr<Stream> stream_;
  std::shared_ptr<FakeViewer> audio_;
  std::shared_ptr<TrickleIngest> ingest_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string endReason_;
};

TEST_F(TrickleIngestTest, DecodesEveryFrameAndPassesOpusThrough) {
  const auto ts = makeTs(60, 160, 120, TsAudio::Opus);
  ASSERT_FALSE(ts.empty());
  auto& in = make();
  feed(ts);
  in.endOfInput();
  EXPECT_EQ(waitEnded(), "input ended");
  const auto f = in.figures();
  EXPECT_EQ(f.framesDecoded, 60u);
  EXPECT_EQ(f.framesPaced, 0u);
  EXPECT_EQ(f.width, 160);
  EXPECT_EQ(f.height, 120);
  EXPECT_EQ(f.bytes, ts.size());
  EXPECT_EQ(f.bytesDropped, 0u);
  EXPECT_EQ(f.audioCodec, "opus");
  // Every packet of the input handed on as it was (two seconds of 20 ms packets, and the
  // encoder's lookahead).
  const auto input = test::decodeTs(ts);
  EXPECT_EQ(input.audioCaps, "audio/x-opus");
  EXPECT_EQ(f.audioPackets, static_cast<uint64_t>(input.audioBuffers));
  const auto st = in.stats();
  EXPECT_EQ(st.framesReceived, 60u);
  EXPECT_EQ(st.videoCodec, VideoCodec::H264);
  EXPECT_TRUE(st.hasAudio);
  EXPECT_EQ(stream_->stats().framesIn, 60u);
  ASSERT_EQ(audio_->count(audio_->audio), f.audioPackets);
  const GstStructure* caps = gst_caps_get_structure(gst_sample_get_caps(audio_->audio[0].get()), 0);
  EXPECT_STREQ(gst_structure_get_name(caps), "audio/x-opus");
}

TEST_F(TrickleIngestTest, AacIsReencodedToOpus) {
  const auto ts = makeTs(60, 160, 120, TsAudio::Aac);
  ASSERT_FALSE(ts.empty());
  auto& in = make();
  feed(ts);
  in.endOfInput();
  EXPECT_EQ(waitEnded(), "input ended");
  const auto f = in.figures();
  EXPECT_EQ(f.framesDecoded, 60u);
  EXPECT_EQ(f.audioCodec, "aac");
  // About two seconds of 20 ms Opus packets (the AAC encoder's priming and frame size round it).
  EXPECT_GE(f.audioPackets, 90u);
  EXPECT_LE(f.audioPackets, 110u);
  ASSERT_GT(audio_->count(audio_->audio), 0u);
  const GstStructure* caps = gst_caps_get_structure(gst_sample_get_caps(audio_->audio[0].get()), 0);
  EXPECT_STREQ(gst_structure_get_name(caps), "audio/x-opus");
}

TEST_F(TrickleIngestTest, NoAudioIsFineAndScalesToTheRequestedSize) {
  const auto ts = makeTs(30, 160, 120, TsAudio::None);
  TrickleIngest::Options opts;
  opts.width = 64;
  opts.height = 48;
  auto& in = make(opts);
  feed(ts);
  in.endOfInput();
  EXPECT_EQ(waitEnded(), "input ended");
  const auto f = in.figures();
  EXPECT_EQ(f.framesDecoded, 30u);
  EXPECT_EQ(f.width, 64);
  EXPECT_EQ(f.height, 48);
  EXPECT_EQ(f.audioCodec, "");
  EXPECT_EQ(f.audioPackets, 0u);
  EXPECT_FALSE(in.stats().hasAudio);
}

TEST_F(TrickleIngestTest, MaxFramerateHalvesThirtyToFifteen) {
  const auto ts = makeTs(60, 160, 120, TsAudio::None);
  TrickleIngest::Options opts;
  opts.maxFramerate = 15;
  auto& in = make(opts);
  feed(ts);
  in.endOfInput();
  EXPECT_EQ(waitEnded(), "input ended");
  const auto f = in.figures();
  EXPECT_EQ(f.framesDecoded, 60u);
  EXPECT_EQ(f.framesPaced, 30u);
  EXPECT_EQ(in.stats().framesReceived, 30u);
}

TEST_F(TrickleIngestTest, ParamsChangeWhilePlaying) {
  const auto ts = makeTs(60, 160, 120, TsAudio::None);
  auto& in = make();
  in.setMaxFramerate(10);
  in.setSize(80, 60);
  feed(ts);
  in.endOfInput();
  EXPECT_EQ(waitEnded(), "input ended");
  const auto f = in.figures();
  EXPECT_EQ(f.framesDecoded, 60u);
  EXPECT_EQ(f.framesDecoded - f.framesPaced, 20u);
  EXPECT_EQ(f.width, 80);
  EXPECT_EQ(f.height, 60);
}

TEST_F(TrickleIngestTest, GarbageAndTruncatedInputNeverCrash) {
  std::mt19937 rng(7);
  std::vector<uint8_t> garbage(64 * 1024);
  for (auto& b : garbage) b = static_cast<uint8_t>(rng());
  // Random bytes, then a real stream cut in the middle of a packet, then its tail missing.
  auto ts = makeTs(60, 160, 120, TsAudio::Opus);
  ts.resize(ts.size() / 2 + 77);
  auto& in = make();
  feed(garbage, 1000);
  feed(ts, 999);
  feed(garbage, 3000);
  in.endOfInput();
  const std::string why = waitEnded();
  EXPECT_FALSE(why.empty());
  const auto f = in.figures();
  EXPECT_EQ(f.bytes, garbage.size() * 2 + ts.size());
  // The real frames among the garbage still decode: some, not all.
  EXPECT_GT(f.framesDecoded, 0u);
  EXPECT_LT(f.framesDecoded, 60u);
}

TEST_F(TrickleIngestTest, PastItsByteBoundInputIsDroppedAndCounted) {
  const auto ts = makeTs(30, 160, 120, TsAudio::None);
  TrickleIngest::Options opts;
  opts.maxQueuedBytes = 1024;
  auto& in = make(opts);
  // One read larger than the whole bound: never queued, never blocks.
  std::vector<uint8_t> big(4096, 0x47);
  in.push(big.data(), big.size());
  EXPECT_EQ(in.figures().bytesDropped, big.size());
  EXPECT_EQ(in.figures().bytes, 0u);
}

TEST_F(TrickleIngestTest, ArrivalsAreRecordedForEveryVideoFrame) {
  const auto ts = makeTs(30, 160, 120, TsAudio::None);
  TrickleIngest::Options opts;
  opts.arrivals = std::make_shared<FrameArrivals>();
  auto& in = make(opts);
  const auto before = std::chrono::steady_clock::now();
  feed(ts);
  in.endOfInput();
  EXPECT_EQ(waitEnded(), "input ended");
  // Frame i's running time is the first one's plus i/30 s: one offset for the whole input.
  // Frame 0 is found by scanning up from the stream's start in 0.1 ms steps: the first match
  // is FrameArrivals::kTolerance below it.
  GstClockTime first = GST_CLOCK_TIME_NONE;
  for (GstClockTime t = 0; t < 60 * GST_SECOND && !GST_CLOCK_TIME_IS_VALID(first);
       t += GST_MSECOND / 10)
    if (opts.arrivals->take(t)) first = t + FrameArrivals::kTolerance;
  ASSERT_TRUE(GST_CLOCK_TIME_IS_VALID(first));
  for (int i = 1; i < 30; ++i) {
    const auto at = opts.arrivals->take(first + gst_util_uint64_scale(i, GST_SECOND, 30));
    ASSERT_TRUE(at.has_value()) << "frame " << i;
    EXPECT_GE(*at, before);
  }
}

// Latency: the bytes of frame i, pushed as a sender writes them (one PES at a time), decode
// before frame i + 1 arrives. Without alignment=au on the demuxer's caps h264parse held each
// frame until the next one's bytes came (a frame of latency, 33 ms at 30 fps); tsdemux itself
// holds only the very first frame (until the second PES).
TEST_F(TrickleIngestTest, EachFrameDecodesAsItArrives) {
  const auto chunks = test::makeTsChunks(30, 160, 120, TsAudio::None);
  ASSERT_EQ(chunks.size(), 30u);  // the tables go with the first frame
  auto& in = make();
  const auto waitDecoded = [&](uint64_t n) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (in.figures().framesDecoded < n && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return in.figures().framesDecoded;
  };
  for (size_t c = 0; c < chunks.size(); ++c) {
    in.push(chunks[c].data(), chunks[c].size());
    if (c >= 1) {
      ASSERT_EQ(waitDecoded(c + 1), c + 1) << "frame " << c << " held";
    }
  }
  in.endOfInput();
  EXPECT_EQ(waitEnded(), "input ended");
  EXPECT_EQ(in.figures().framesDecoded, 30u);
}

// One offset for both media: the first audio packet and the first video frame, both at 0 in the
// input, land together on the stream's clock (opusenc's lookahead aside).
TEST_F(TrickleIngestTest, AudioAndVideoShareOneOffset) {
  const auto ts = makeTs(30, 160, 120, TsAudio::Opus);
  TrickleIngest::Options opts;
  opts.arrivals = std::make_shared<FrameArrivals>();
  auto& in = make(opts);
  feed(ts);
  in.endOfInput();
  EXPECT_EQ(waitEnded(), "input ended");
  GstClockTime firstVideo = GST_CLOCK_TIME_NONE;
  for (GstClockTime t = 0; t < 60 * GST_SECOND && !GST_CLOCK_TIME_IS_VALID(firstVideo);
       t += GST_MSECOND / 10)
    if (opts.arrivals->take(t)) firstVideo = t + FrameArrivals::kTolerance;
  ASSERT_TRUE(GST_CLOCK_TIME_IS_VALID(firstVideo));
  ASSERT_GT(audio_->count(audio_->audio), 0u);
  const GstClockTime firstAudio = runningTimeOf(audio_->audio[0].get());
  const GstClockTimeDiff skew = GstClockTimeDiff(firstAudio) - GstClockTimeDiff(firstVideo);
  EXPECT_LT(std::abs(skew), GstClockTimeDiff(30 * GST_MSECOND)) << skew / 1000 << " us";
  EXPECT_EQ(in.figures().reanchors, 0u);
}

// Whether the stream's audio times ever went back.
size_t backwardSteps(test::FakeViewer& v) {
  const size_t n = v.count(v.audio);
  GstClockTime last = 0;
  size_t backwards = 0;
  for (size_t i = 0; i < n; ++i) {
    const GstClockTime t = runningTimeOf(v.audio[i].get());
    if (t < last) ++backwards;
    last = std::max(last, t);
  }
  return backwards;
}

// A sender that restarts (its times go back to the start): every frame decodes and the
// stream's times go on increasing (viewers and the recorder need that). tsdemux smooths a PCR
// jump itself; the ingest re-anchors what it does not.
TEST_F(TrickleIngestTest, ASenderRestartKeepsTheStreamTimesIncreasing) {
  auto ts = makeTs(90, 160, 120, TsAudio::Opus);  // 3 s
  const auto again = makeTs(30, 160, 120, TsAudio::Opus);
  ts.insert(ts.end(), again.begin(), again.end());
  auto& in = make();
  feed(ts);
  in.endOfInput();
  EXPECT_EQ(waitEnded(), "input ended");
  const auto f = in.figures();
  EXPECT_LE(f.reanchors, 1u);
  EXPECT_EQ(f.framesDecoded, 120u);
  ASSERT_GT(audio_->count(audio_->audio), 100u);
  EXPECT_EQ(backwardSteps(*audio_), 0u);
}

// A sender that stalls for longer than the jump bound and goes on with continuous times: its
// frames would come out seconds late on the stream's clock, so they are re-anchored to now.
TEST_F(TrickleIngestTest, AStalledInputIsReanchoredForward) {
  const auto chunks = test::makeTsChunks(60, 160, 120, TsAudio::Opus);
  auto& in = make();
  const size_t half = chunks.size() / 2;
  for (size_t c = 0; c < half; ++c) in.push(chunks[c].data(), chunks[c].size());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (in.figures().framesDecoded < 20 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(in.figures().reanchors, 0u);
  // The stall itself: the input is silent for longer than 2 s plus the second it has sent.
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));
  for (size_t c = half; c < chunks.size(); ++c) in.push(chunks[c].data(), chunks[c].size());
  in.endOfInput();
  EXPECT_EQ(waitEnded(), "input ended");
  EXPECT_EQ(in.figures().reanchors, 1u);
  EXPECT_EQ(in.figures().framesDecoded, 60u);
  EXPECT_EQ(backwardSteps(*audio_), 0u);
}

}  // namespace
}  // namespace cs::trickle
