#include "stream/VideoProcessor.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <set>
#include <vector>

#include "../TestFrames.h"
#include "workflow/GraphWorkflow.h"

namespace cs {
namespace {

std::shared_ptr<FrameWorkflow> builtin(const char* name) {
  NodeContext ctx;
  return GraphWorkflow::build(name, *builtinWorkflow(name), ctx);
}

// Collects what the pipeline outputs, so tests can wait for it without sleeping.
struct Collector {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<BufferPtr> frames;

  VideoProcessor::Output output() {
    return [this](BufferPtr b, const GstVideoInfo&) {
      std::lock_guard lock(mu);
      frames.push_back(std::move(b));
      cv.notify_all();
    };
  }
  bool waitFor(size_t n) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(5), [&] { return frames.size() >= n; });
  }
};

uint8_t firstByte(GstBuffer* b, int plane, const GstVideoInfo& info) {
  GstVideoFrame f;
  gst_video_frame_map(&f, &info, b, GST_MAP_READ);
  const uint8_t v = static_cast<uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&f, plane))[0];
  gst_video_frame_unmap(&f);
  return v;
}

TEST(VideoProcessor, InvertWritesANewBufferWithTheIngestTimestamp) {
  Collector out;
  VideoProcessor pipeline("t", out.output());
  pipeline.setWorkflow(builtin("invert"));
  auto in = test::makeI420Sample(64, 48, 16, 128, 128, 5 * GST_SECOND);  // black
  pipeline.submit(in.get());
  ASSERT_TRUE(out.waitFor(1));
  GstVideoInfo info;
  gst_video_info_set_format(&info, GST_VIDEO_FORMAT_I420, 64, 48);
  GstBuffer* b = out.frames[0].get();
  EXPECT_NE(b, gst_sample_get_buffer(in.get()));
  // White, to within the rounding of the YUV→RGB→YUV round trip.
  EXPECT_NEAR(firstByte(b, 0, info), 235, 1);
  EXPECT_NEAR(firstByte(b, 1, info), 128, 1);
  EXPECT_NEAR(firstByte(b, 2, info), 128, 1);
  EXPECT_EQ(GST_BUFFER_PTS(b), 5 * GST_SECOND);
  EXPECT_EQ(pipeline.framesProcessed(), 1u);
  EXPECT_EQ(pipeline.width(), 64);
}

TEST(VideoProcessor, PassthroughForwardsTheDecodedBufferWithoutCopying) {
  Collector out;
  VideoProcessor pipeline("t", out.output());
  pipeline.setWorkflow(builtin("passthrough"));
  auto in = test::makeI420Sample(32, 32, 50, 60, 70, GST_SECOND);
  pipeline.submit(in.get());
  ASSERT_TRUE(out.waitFor(1));
  GstMemory* a = gst_buffer_peek_memory(out.frames[0].get(), 0);
  GstMemory* b = gst_buffer_peek_memory(gst_sample_get_buffer(in.get()), 0);
  EXPECT_EQ(a, b);
}

TEST(VideoProcessor, SteadyStateReusesOutputBuffers) {
  Collector out;
  VideoProcessor pipeline("t", out.output());
  pipeline.setWorkflow(builtin("invert"));
  std::set<GstMemory*> seen;
  for (int i = 0; i < 8; ++i) {
    auto in = test::makeI420Sample(32, 32, 50, 60, 70, i * GST_SECOND / 30);
    pipeline.submit(in.get());
    ASSERT_TRUE(out.waitFor(1));
    std::lock_guard lock(out.mu);
    seen.insert(gst_buffer_peek_memory(out.frames[0].get(), 0));
    out.frames.clear();  // back to the pool
  }
  // Eight frames, each released before the next: the pool's two buffers serve them all.
  EXPECT_LE(seen.size(), 2u);
}

TEST(VideoProcessor, ResolutionChangeReconfigures) {
  Collector out;
  VideoProcessor pipeline("t", out.output());
  pipeline.setWorkflow(builtin("invert"));
  auto a = test::makeI420Sample(32, 32, 16, 128, 128, 0);
  pipeline.submit(a.get());
  ASSERT_TRUE(out.waitFor(1));
  auto b = test::makeI420Sample(48, 16, 16, 128, 128, GST_SECOND);
  pipeline.submit(b.get());
  ASSERT_TRUE(out.waitFor(2));
  EXPECT_EQ(pipeline.width(), 48);
  EXPECT_EQ(pipeline.height(), 16);
}

}  // namespace
}  // namespace cs
