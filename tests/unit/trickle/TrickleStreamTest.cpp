// A trickle stream end to end, without the network: MPEG-TS bytes into TrickleIngest, through a
// real Stream (pass-through workflow, its shared H.264 encoder), out of TrickleEgress as
// segments. What a Livepeer gateway would receive: segments that decode alone, every frame,
// Opus audio; and the worker latency measured for every frame (the running time survives the
// whole chain, so each frame's arrival is found).
#include <gtest/gtest.h>

#include <condition_variable>

#include "../stream/FakeSessions.h"
#include "TrickleMedia.h"
#include "stream/Stream.h"
#include "trickle/TrickleEgress.h"
#include "trickle/TrickleIngest.h"

namespace cs::trickle {
namespace {

class Segments final : public SegmentSink {
 public:
  void beginSegment() noexcept override {
    std::lock_guard lock(mu);
    segments.emplace_back();
  }
  void write(const uint8_t* data, size_t size) noexcept override {
    std::lock_guard lock(mu);
    if (!segments.empty()) segments.back().insert(segments.back().end(), data, data + size);
  }
  void endSegment() noexcept override {
    std::lock_guard lock(mu);
    ++ends;
  }
  std::mutex mu;
  std::vector<std::vector<uint8_t>> segments;
  int ends = 0;
};

// The PID of the first PES packet in a chunk (tables skipped).
int pesPid(const std::vector<uint8_t>& chunk) {
  for (size_t o = 0; o + 188 <= chunk.size(); o += 188) {
    const int pid = ((chunk[o + 1] & 0x1f) << 8) | chunk[o + 2];
    if (pid != 0 && pid != 0x20) return pid;
  }
  return -1;
}

TEST(TrickleStream, TsInSegmentsOutEveryFrameWithItsWorkerLatency) {
  MainLoop loop;
  auto stream = std::make_shared<Stream>("s", 500'000, loop);
  auto arrivals = std::make_shared<FrameArrivals>();
  auto sink = std::make_shared<Segments>();

  TrickleEgress::Options eo;
  eo.segmentLength = std::chrono::milliseconds(1000);
  eo.arrivals = arrivals;
  eo.requestKeyframe = [weak = std::weak_ptr<Stream>(stream)] {
    if (auto s = weak.lock()) s->onKeyframeRequest(VideoCodec::H264);
  };
  auto egress = std::make_shared<TrickleEgress>(test::sessionInfo("out", "s"), eo, sink, loop);
  stream->addViewer(egress);
  egress->start();

  TrickleIngest::Options io;
  io.arrivals = arrivals;
  auto ingest = std::make_shared<TrickleIngest>(test::sessionInfo("in", "s"), io, stream, loop);
  stream->attachPublisher(ingest);
  std::mutex endMu;
  std::condition_variable endCv;
  std::string endReason;
  ingest->onEnded([&](const std::string& why) {
    std::lock_guard lock(endMu);
    endReason = why;
    endCv.notify_all();
  });
  ingest->start();

  // One PES at a time, as a sender writes them; after each video frame, wait until it has left
  // the egress (the stream keeps only the newest frame, so a burst would replace some).
  const auto chunks = test::makeTsChunks(75, 160, 120, test::TsAudio::Opus);
  constexpr int kVideoPid = 0x41;  // mpegtsmux numbers its pads from 0x41: video is linked first
  uint64_t videoPushed = 0;
  for (const auto& c : chunks) {
    ingest->push(c.data(), c.size());
    if (pesPid(c) != kVideoPid) continue;
    ++videoPushed;
    // tsdemux holds the very first frame until the next PES (§G19); from the second on, each
    // frame leaves the egress before the next is sent.
    // The first two then reach the stream together, and on a busy machine its mailbox keeps
    // only the second (counted as the stream's drop).
    if (videoPushed < 2) continue;
    const auto through = [&] {
      return egress->figures().framesWritten + stream->stats().framesDropped;
    };
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (through() < videoPushed && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ASSERT_EQ(through(), videoPushed);
  }
  ASSERT_EQ(videoPushed, 75u);
  ingest->endOfInput();
  // Everything decoded and handed to the stream (the audio after the last frame included), and
  // the last frame through the chain, before the egress is finished.
  {
    std::unique_lock lock(endMu);
    ASSERT_TRUE(endCv.wait_for(lock, std::chrono::seconds(10), [&] { return !endReason.empty(); }));
    EXPECT_EQ(endReason, "input ended");
  }
  const uint64_t streamDrops = stream->stats().framesDropped;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (egress->figures().framesWritten + streamDrops < 75 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_LE(streamDrops, 1u);

  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  loop.invokeSync([&] {
    egress->finish([&] {
      std::lock_guard lock(mu);
      done = true;
      cv.notify_all();
    });
  });
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return done; }));
  }
  loop.invokeSync([&] {
    ingest->stop();
    stream->removeViewer("out");
    stream->detachPublisher("in");
    stream->shutdown();
  });

  const auto in = ingest->figures();
  EXPECT_EQ(in.framesDecoded, 75u);
  const auto out = egress->figures();
  EXPECT_EQ(out.framesWritten, 75u - streamDrops);
  EXPECT_EQ(out.framesDropped, 0u);
  // Every frame's arrival found by its running time: decode, workflow and encode kept it.
  EXPECT_EQ(out.workerLatency.count(), out.framesWritten);

  std::lock_guard lock(sink->mu);
  EXPECT_EQ(sink->ends, 1);
  ASSERT_GE(sink->segments.size(), 2u);  // 2.5 s in 1 s segments (cut where keyframes came)
  // Each segment but the last decoded alone. The last may hold one or two frames (on a busy
  // machine the keyframe asked for comes late), and decodeTs on such a tiny input races with
  // tsdemux creating its pads at EOS (seen ~2% of runs under load: nothing decoded).
  int frames = 0, audio = 0;
  for (size_t i = 0; i + 1 < sink->segments.size(); ++i) {
    SCOPED_TRACE("segment " + std::to_string(i));
    const auto d = test::decodeTs(sink->segments[i]);
    EXPECT_EQ(d.error, "");
    EXPECT_TRUE(d.firstVideoIsKeyframe);
    EXPECT_EQ(d.videoFrames, d.demuxedVideo);
    EXPECT_EQ(d.audioCaps, "audio/x-opus");
    EXPECT_GT(d.audioBuffers, 0);
    audio += d.audioBuffers;
    frames += d.videoFrames;
  }
  EXPECT_LT(uint64_t(frames), out.framesWritten);
  EXPECT_GT(frames, 0);
  EXPECT_GT(audio, 0);
}

}  // namespace
}  // namespace cs::trickle
