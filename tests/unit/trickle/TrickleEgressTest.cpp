// TrickleEgress: real x264 access units and Opus packets in (as the stream's encoder and audio
// path hand them over), MPEG-TS segments out into a collecting sink; each segment is decoded
// alone, as a trickle subscriber that joins at that segment would.
#include "trickle/TrickleEgress.h"

#include <gtest/gtest.h>

#include <condition_variable>

#include "../TestFrames.h"
#include "../record/RecordingMedia.h"
#include "../stream/FakeSessions.h"
#include "TrickleMedia.h"

namespace cs::trickle {
namespace {

using test::sessionInfo;

// The sink a TricklePublisher would be: segments collected whole, with each write seen.
class CollectingSink final : public SegmentSink {
 public:
  struct Segment {
    std::vector<uint8_t> bytes;
    bool ended = false;
  };
  void beginSegment() noexcept override {
    std::lock_guard lock(mu_);
    segments.emplace_back();
    cv_.notify_all();
  }
  void write(const uint8_t* data, size_t size) noexcept override {
    std::lock_guard lock(mu_);
    if (segments.empty() || segments.back().ended) {
      ++strayWrites;
    } else {
      segments.back().bytes.insert(segments.back().bytes.end(), data, data + size);
    }
    all.insert(all.end(), data, data + size);
    cv_.notify_all();
  }
  void endSegment() noexcept override {
    std::lock_guard lock(mu_);
    if (!segments.empty()) segments.back().ended = true;
    ++ends;
    cv_.notify_all();
  }
  // Waits until what was written so far holds the packets of `frames` video frames: the PES
  // headers of the video stream (ISO/IEC 13818-1 §2.4.3.2: a payload unit start carrying
  // 00 00 01 E0), counted in the bytes themselves. (Decoding a TS of one or two frames with
  // tsdemux is not reliable at its EOS; whole segments are decoded where it matters.)
  bool waitForFrames(int frames, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return videoPesStarts(all) >= frames; });
  }
  static int videoPesStarts(const std::vector<uint8_t>& b) {
    int n = 0;
    for (size_t o = 0; o + 188 <= b.size(); o += 188) {
      if (b[o] != 0x47 || !(b[o + 1] & 0x40)) continue;  // sync byte; payload_unit_start
      size_t p = o + 4;
      const int afc = (b[o + 3] >> 4) & 0x3;
      if (afc == 2) continue;           // adaptation field only
      if (afc == 3) p += 1 + b[o + 4];  // skip the adaptation field
      if (p + 4 <= o + 188 && b[p] == 0 && b[p + 1] == 0 && b[p + 2] == 1 &&
          (b[p + 3] & 0xf0) == 0xe0)
        ++n;
    }
    return n;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Segment> segments;
  std::vector<uint8_t> all;
  int strayWrites = 0, ends = 0;
};

// x264 as the stream's encoder runs it (no B-frames, 2 s GOP, byte-stream access units), with
// keyframes forced on request before the next frame, so segment lengths are exact in frames.
class TestEncoder {
 public:
  TestEncoder(int w, int h) : w_(w), h_(h) {
    const std::string desc =
        "appsrc name=src format=time caps=video/x-raw,format=I420,width=" + std::to_string(w) +
        ",height=" + std::to_string(h) +
        ",framerate=30/1 ! x264enc name=enc tune=zerolatency speed-preset=ultrafast "
        "key-int-max=60 bframes=0 ! h264parse config-interval=-1 ! "
        "video/x-h264,stream-format=byte-stream,alignment=au ! appsink name=sink sync=false";
    p_ = adoptElement(gst_parse_launch(desc.c_str(), nullptr));
    src_.reset(gst_bin_get_by_name(GST_BIN(p_.get()), "src"));
    enc_.reset(gst_bin_get_by_name(GST_BIN(p_.get()), "enc"));
    sink_.reset(gst_bin_get_by_name(GST_BIN(p_.get()), "sink"));
    gst_element_set_state(p_.get(), GST_STATE_PLAYING);
  }
  ~TestEncoder() { gst_element_set_state(p_.get(), GST_STATE_NULL); }
  void forceKeyframe() {
    gst_element_send_event(
        enc_.get(), gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
  }
  // Frame i (pts i/30 s), encoded: the encoder's own sample (segment included).
  SamplePtr encode(int i) {
    auto raw = test::makeI420Sample(w_, h_, uint8_t(16 + i % 200), 128, 128,
                                    gst_util_uint64_scale(i, GST_SECOND, 30));
    gst_app_src_push_buffer(GST_APP_SRC(src_.get()),
                            gst_buffer_ref(gst_sample_get_buffer(raw.get())));
    return SamplePtr(gst_app_sink_try_pull_sample(GST_APP_SINK(sink_.get()), 10 * GST_SECOND));
  }

 private:
  int w_, h_;
  ElementPtr p_;
  GstPtr<GstElement> src_, enc_, sink_;
};

// A TS packet's PID.
int pidAt(const std::vector<uint8_t>& b, size_t packet) {
  const size_t o = packet * 188;
  if (b.size() < o + 188 || b[o] != 0x47) return -1;
  return ((b[o + 1] & 0x1f) << 8) | b[o + 2];
}

class TrickleEgressTest : public ::testing::Test {
 protected:
  std::shared_ptr<TrickleEgress> make(bool withAudio) {
    TrickleEgress::Options opts;
    opts.segmentLength = std::chrono::milliseconds(1000);
    opts.withAudio = withAudio;
    opts.requestKeyframe = [this] {
      keyRequests_.fetch_add(1);
      wantKey_.store(true);
    };
    opts.arrivals = arrivals_;
    auto e = std::make_shared<TrickleEgress>(sessionInfo("e", "s"), opts, sink_, loop_);
    e->start();
    return e;
  }

  // Feeds `frames` frames (and the audio up to each frame's time), each written out before the
  // next is pushed; a keyframe request is served on the next frame.
  void run(TrickleEgress& e, int frames, const std::vector<SamplePtr>& audio,
           int writtenAtOnce = 3) {
    TestEncoder enc(160, 120);
    size_t a = 0;
    for (int i = 0; i < frames; ++i) {
      if (wantKey_.exchange(false)) enc.forceKeyframe();
      SamplePtr s = enc.encode(i);
      ASSERT_TRUE(s) << "frame " << i;
      const GstClockTime rt = runningTimeOf(s.get());
      // Audio a packet ahead, as the stream hands it over: it bypasses the workflow.
      while (a < audio.size() && runningTimeOf(audio[a].get()) <= rt + 20 * GST_MSECOND)
        e.onAudio(audio[a++].get());
      arrivals_->record(rt, std::chrono::steady_clock::now());
      e.onVideo(s.get());
      // Taken by the muxer before the next frame: a request it made is served in order.
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      while (e.figures().framesWritten < uint64_t(i + 1) &&
             std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      ASSERT_EQ(e.figures().framesWritten, uint64_t(i + 1));
      // The first frames' packets reach the sink before the next frame is pushed: nothing waits
      // for the segment's end (or for audio).
      if (i < writtenAtOnce) {
        ASSERT_TRUE(sink_->waitForFrames(i + 1)) << "frame " << i << " not written";
      }
    }
  }

  void finish(TrickleEgress& e) {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    loop_.invokeSync([&] {
      e.finish([&] {
        std::lock_guard lock(mu);
        done = true;
        cv.notify_all();
      });
    });
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return done; }));
  }

  MainLoop loop_;
  std::shared_ptr<CollectingSink> sink_ = std::make_shared<CollectingSink>();
  std::shared_ptr<FrameArrivals> arrivals_ = std::make_shared<FrameArrivals>();
  std::atomic<bool> wantKey_{false};
  std::atomic<int> keyRequests_{0};
};

TEST_F(TrickleEgressTest, EverySegmentDecodesAloneFromAKeyframe) {
  auto e = make(true);
  // 100 frames: 3.3 s of video, and as much Opus.
  run(*e, 100, test::encodeOpus(170, 0));
  finish(*e);
  EXPECT_EQ(e->state(), ConnectionState::Closed);

  std::lock_guard lock(sink_->mu_);
  EXPECT_EQ(sink_->strayWrites, 0);
  EXPECT_EQ(sink_->ends, 1);
  // 1 s segments at 30 fps, each cut at the keyframe asked for when the length was reached:
  // frames 0-30, 31-61, 62-92, 93-99.
  ASSERT_EQ(sink_->segments.size(), 4u);
  EXPECT_EQ(e->figures().segments, 4u);
  int total = 0;
  for (size_t i = 0; i < sink_->segments.size(); ++i) {
    const auto& seg = sink_->segments[i];
    SCOPED_TRACE("segment " + std::to_string(i));
    // The next segment's beginning completes a segment; the last is completed by finish().
    EXPECT_EQ(seg.ended, i + 1 == sink_->segments.size());
    // PAT, then PMT (mpegtsmux's PMT PID is 0x20), then media.
    EXPECT_EQ(pidAt(seg.bytes, 0), 0);
    EXPECT_EQ(pidAt(seg.bytes, 1), 0x20);
    const auto d = test::decodeTs(seg.bytes);
    EXPECT_EQ(d.error, "");
    EXPECT_TRUE(d.firstVideoIsKeyframe);
    EXPECT_EQ(d.videoFrames, d.demuxedVideo);  // every frame decodes: nothing missing before it
    EXPECT_EQ(d.width, 160);
    EXPECT_EQ(d.height, 120);
    EXPECT_EQ(d.audioCaps, "audio/x-opus");
    EXPECT_GT(d.audioBuffers, 0);
    if (i + 1 < sink_->segments.size()) {
      EXPECT_EQ(d.videoFrames, 31);
    }
    total += d.videoFrames;
  }
  EXPECT_EQ(total, 100);
  const auto f = e->figures();
  EXPECT_EQ(f.framesWritten, 100u);
  EXPECT_EQ(f.framesDropped, 0u);
  EXPECT_EQ(f.bytes, sink_->all.size());
  // Every frame's arrival was found: its worker latency is counted.
  EXPECT_EQ(f.workerLatency.count(), 100u);
  // At start, and once per segment when its length was reached.
  EXPECT_EQ(keyRequests_.load(), 4);
}

TEST_F(TrickleEgressTest, AnAudioTrackWithoutAudioIsFilledWithSilence) {
  auto e = make(true);
  // mpegtsmux waits for audio: the first frames are held until the stall is declared (250 ms of
  // video), then silence lets every frame through as it comes.
  TestEncoder enc(160, 120);
  for (int i = 0; i < 20; ++i) e->onVideo(enc.encode(i).get());
  // Every frame pushed is written, before any EOS.
  ASSERT_TRUE(sink_->waitForFrames(20));
  finish(*e);
  std::lock_guard lock(sink_->mu_);
  ASSERT_EQ(sink_->segments.size(), 1u);
  const auto d = test::decodeTs(sink_->segments[0].bytes);
  EXPECT_EQ(d.videoFrames, 20);
  EXPECT_TRUE(d.firstVideoIsKeyframe);
  EXPECT_EQ(d.audioCaps, "audio/x-opus");
  EXPECT_GT(e->figures().silencePackets, 0u);
}

TEST_F(TrickleEgressTest, WithoutAudioTheSegmentsCarryVideoOnly) {
  auto e = make(false);
  EXPECT_FALSE(e->takesAudio());
  run(*e, 35, test::encodeOpus(100, 0));  // offered, not taken
  finish(*e);
  std::lock_guard lock(sink_->mu_);
  ASSERT_EQ(sink_->segments.size(), 2u);
  const auto d = test::decodeTs(sink_->segments[0].bytes);
  EXPECT_EQ(d.videoFrames, 31);
  EXPECT_EQ(d.audioCaps, "");
  EXPECT_EQ(d.audioBuffers, 0);
}

TEST_F(TrickleEgressTest, DeltaFramesBeforeTheFirstKeyframeAreNotSent) {
  TestEncoder enc(160, 120);
  std::vector<SamplePtr> frames;
  for (int i = 0; i < 5; ++i) frames.push_back(enc.encode(i));
  auto e = make(false);
  // Joined mid-GOP: frames 1-4 are deltas.
  for (int i = 1; i < 5; ++i) e->onVideo(frames[i].get());
  EXPECT_EQ(e->figures().framesWritten, 0u);
  EXPECT_GE(keyRequests_.load(), 1);  // asked at start
  loop_.invokeSync([&] { e->stop(); });
  std::lock_guard lock(sink_->mu_);
  EXPECT_TRUE(sink_->segments.empty());
  EXPECT_TRUE(sink_->all.empty());
}

TEST_F(TrickleEgressTest, StopIsIdempotentAndFinishAfterStopStillCallsBack) {
  auto e = make(false);
  run(*e, 5, {});
  loop_.invokeSync([&] {
    e->stop();
    e->stop();
  });
  EXPECT_EQ(e->state(), ConnectionState::Closed);
  finish(*e);
  std::lock_guard lock(sink_->mu_);
  ASSERT_EQ(sink_->segments.size(), 1u);
  EXPECT_TRUE(sink_->segments[0].ended);  // completed by stop(), once
  EXPECT_EQ(sink_->ends, 1);
}

// The muxer falls behind (here: its output is stuck in a write): the egress queues a bounded
// number of frames, then drops the newest and asks for a keyframe; once the output moves again
// it resumes on that keyframe, so what it wrote decodes without a broken frame.
TEST_F(TrickleEgressTest, AMuxerBehindDropsAndResumesOnAKeyframe) {
  class StuckSink final : public SegmentSink {
   public:
    void beginSegment() noexcept override {}
    void write(const uint8_t* data, size_t size) noexcept override {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return open; });
      bytes.insert(bytes.end(), data, data + size);
    }
    void endSegment() noexcept override {}
    void release() {
      std::lock_guard lock(mu);
      open = true;
      cv.notify_all();
    }
    std::mutex mu;
    std::condition_variable cv;
    bool open = false;
    std::vector<uint8_t> bytes;
  };
  auto stuck = std::make_shared<StuckSink>();
  TrickleEgress::Options opts;
  opts.withAudio = false;
  opts.segmentLength = std::chrono::seconds(60);  // one segment: the drop is the only cut
  opts.requestKeyframe = [this] {
    keyRequests_.fetch_add(1);
    wantKey_.store(true);
  };
  auto e = std::make_shared<TrickleEgress>(sessionInfo("e", "s"), opts, stuck, loop_);
  e->start();
  wantKey_.store(false);
  const int requestsAtStart = keyRequests_.load();
  TestEncoder enc(160, 120);
  int i = 0;
  // Stuck: the first frame's write blocks the muxer, the rest queue up to the bound.
  for (; i < 90; ++i) e->onVideo(enc.encode(i).get());
  EXPECT_GT(e->figures().framesDropped, 0u);
  EXPECT_EQ(keyRequests_.load(), requestsAtStart + 1);  // once per hole, not per dropped frame
  stuck->release();
  // Delta frames until the keyframe asked for: dropped too, then every frame is taken.
  for (int k = 0; k < 30; ++k, ++i) {
    if (wantKey_.exchange(false)) enc.forceKeyframe();
    e->onVideo(enc.encode(i).get());
  }
  finish(*e);
  const auto f = e->figures();
  EXPECT_GT(f.framesWritten, 60u);
  EXPECT_EQ(f.framesWritten + f.framesDropped, 120u);
  std::lock_guard lock(stuck->mu);
  const auto d = test::decodeTs(stuck->bytes);
  EXPECT_EQ(d.error, "");
  EXPECT_EQ(d.demuxedVideo, int(f.framesWritten));
  // Every frame written decodes: after the hole the output went on at a keyframe.
  EXPECT_EQ(d.videoFrames, d.demuxedVideo);
}

}  // namespace
}  // namespace cs::trickle
