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

  // Ten viewers ask at once: one keyframe now, one at the end of the window, no more.
  for (int i = 0; i < 10; ++i) enc->requestKeyframe();
  EXPECT_EQ(enc->keyframesForced(), 1u);
  ASSERT_TRUE(feedUntil(*enc, pts, [&] { return enc->keyframesForced() == 2; }));
  ASSERT_TRUE(feedUntil(*enc, pts, [&] { return counts.keyframes >= keyframesBefore + 2; }));
  EXPECT_EQ(enc->keyframesForced(), 2u);
  loop.invokeSync([&] { enc->stop(); });
}

INSTANTIATE_TEST_SUITE_P(Codecs, VideoEncoderTest,
                         testing::Values(VideoCodec::H264, VideoCodec::VP8),
                         [](const auto& info) { return std::string(toString(info.param)); });

}  // namespace
}  // namespace cs
