#include "media/VideoEncoder.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "../TestFrames.h"

namespace cs {
namespace {

struct Counts {
  std::atomic<int> frames{0}, keyframes{0};
};

// Feeds frames until pred() holds or the deadline passes; returns pred().
template <typename Pred>
bool feedUntil(VideoEncoder& enc, GstClockTime& pts, Pred pred) {
  GstVideoInfo info;
  gst_video_info_set_format(&info, GST_VIDEO_FORMAT_I420, 64, 64);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!pred() && std::chrono::steady_clock::now() < deadline) {
    auto s = test::makeI420Sample(64, 64, static_cast<uint8_t>(pts / GST_MSECOND), 128, 128, pts);
    enc.push(BufferPtr(gst_buffer_ref(gst_sample_get_buffer(s.get()))), info);
    pts += GST_SECOND / 30;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // pacing, not waiting for a result
  }
  return pred();
}

class VideoEncoderTest : public testing::TestWithParam<VideoCodec> {};

TEST_P(VideoEncoderTest, EncodesAndCoalescesKeyframeRequests) {
  MainLoop loop;
  Counts counts;
  auto enc = std::make_shared<VideoEncoder>(GetParam(), 500'000, 0, loop, [&](GstSample* s) {
    counts.frames++;
    if (!GST_BUFFER_FLAG_IS_SET(gst_sample_get_buffer(s), GST_BUFFER_FLAG_DELTA_UNIT))
      counts.keyframes++;
  });
  enc->start();
  GstClockTime pts = 0;
  ASSERT_TRUE(feedUntil(*enc, pts, [&] { return counts.frames >= 5; }));
  const int keyframesBefore = counts.keyframes;
  EXPECT_GE(keyframesBefore, 1);  // a stream starts on a keyframe

  // Ten viewers ask at once: one keyframe, which reaches them all.
  for (int i = 0; i < 10; ++i) enc->requestKeyframe();
  EXPECT_EQ(enc->keyframesForced(), 1u);
  ASSERT_TRUE(feedUntil(*enc, pts, [&] { return counts.keyframes >= keyframesBefore + 1; }));
  EXPECT_EQ(enc->keyframesForced(), 1u);
  // A viewer asking after that keyframe went out gets one of its own (now or at the end of the
  // spacing), never none.
  enc->requestKeyframe();
  ASSERT_TRUE(feedUntil(*enc, pts, [&] { return enc->keyframesForced() == 2; }));
  ASSERT_TRUE(feedUntil(*enc, pts, [&] { return counts.keyframes >= keyframesBefore + 2; }));
  EXPECT_EQ(enc->keyframesForced(), 2u);
  loop.invokeSync([&] { enc->stop(); });
}

// A VP8 publisher's decoded frames have framerate 0/1. The encoder must still put out each frame
// before the next one comes in (x264 holds a frame of variable-frame-rate input to learn its
// duration; that cost every VP8 publisher 33 ms, docs/BENCHMARKS.md). Frames are pushed one at a
// time, each only after the previous one came out: a held frame never comes out.
TEST_P(VideoEncoderTest, PutsOutEachFrameOfVariableRateInputWithoutWaitingForTheNext) {
  MainLoop loop;
  std::atomic<int> frames{0};
  auto enc =
      std::make_shared<VideoEncoder>(GetParam(), 500'000, 0, loop, [&](GstSample*) { frames++; });
  enc->start();
  GstVideoInfo info;
  gst_video_info_set_format(&info, GST_VIDEO_FORMAT_I420, 64, 64);
  info.fps_n = 0;  // as vp8dec says
  info.fps_d = 1;
  GstClockTime pts = 0;
  for (int i = 1; i <= 5; ++i) {
    auto s = test::makeI420Sample(64, 64, static_cast<uint8_t>(i * 20), 128, 128, pts);
    enc->push(BufferPtr(gst_buffer_ref(gst_sample_get_buffer(s.get()))), info);
    pts += GST_SECOND / 30;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (frames < i && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    ASSERT_EQ(frames.load(), i) << "frame " << i << " is held until the next one arrives";
  }
  loop.invokeSync([&] { enc->stop(); });
}

// The stream runs one encoder per codec; each coalesces its own requests, so a keyframe forced on
// one never delays the other's viewers.
TEST(VideoEncoderPerCodecTest, EachEncoderServesItsOwnRequests) {
  MainLoop loop;
  Counts h264Counts, vp8Counts;
  auto counter = [](Counts& c) {
    return [&c](GstSample* s) {
      c.frames++;
      if (!GST_BUFFER_FLAG_IS_SET(gst_sample_get_buffer(s), GST_BUFFER_FLAG_DELTA_UNIT))
        c.keyframes++;
    };
  };
  auto h264 =
      std::make_shared<VideoEncoder>(VideoCodec::H264, 500'000, 0, loop, counter(h264Counts));
  auto vp8 = std::make_shared<VideoEncoder>(VideoCodec::VP8, 500'000, 0, loop, counter(vp8Counts));
  h264->start();
  vp8->start();
  GstClockTime ptsH = 0, ptsV = 0;
  ASSERT_TRUE(feedUntil(*h264, ptsH, [&] { return h264Counts.frames >= 3; }));
  ASSERT_TRUE(feedUntil(*vp8, ptsV, [&] { return vp8Counts.frames >= 3; }));
  const int h264Before = h264Counts.keyframes, vp8Before = vp8Counts.keyframes;
  h264->requestKeyframe();
  vp8->requestKeyframe();
  EXPECT_EQ(h264->keyframesForced(), 1u);
  EXPECT_EQ(vp8->keyframesForced(), 1u);
  ASSERT_TRUE(feedUntil(*h264, ptsH, [&] { return h264Counts.keyframes > h264Before; }));
  ASSERT_TRUE(feedUntil(*vp8, ptsV, [&] { return vp8Counts.keyframes > vp8Before; }));
  loop.invokeSync([&] {
    h264->stop();
    vp8->stop();
  });
}

INSTANTIATE_TEST_SUITE_P(Codecs, VideoEncoderTest,
                         testing::Values(VideoCodec::H264, VideoCodec::VP8),
                         [](const auto& info) { return std::string(toString(info.param)); });

}  // namespace
}  // namespace cs
