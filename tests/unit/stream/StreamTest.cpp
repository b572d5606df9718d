// A stream wires its publisher's frames through its pipeline and encoders to its viewers: what a
// viewer receives, with sessions that have no transport (FakeSessions.h) and real encoders.
#include "stream/Stream.h"

#include <gtest/gtest.h>

#include "../TestFrames.h"
#include "FakeSessions.h"

namespace cs {
namespace {

using test::FakeViewer;
using test::makeI420Sample;
using test::sessionInfo;

SamplePtr opusSample(GstClockTime pts) {
  GstBuffer* buf = gst_buffer_new_allocate(nullptr, 40, nullptr);
  GST_BUFFER_PTS(buf) = pts;
  CapsPtr caps(gst_caps_from_string("audio/x-opus,channel-mapping-family=0"));
  SamplePtr s(gst_sample_new(buf, caps.get(), nullptr, nullptr));
  gst_buffer_unref(buf);
  return s;
}

class StreamFanOut : public ::testing::Test {
 protected:
  void feedVideo(Stream& s, int frames) {
    for (int i = 0; i < frames; ++i) {
      auto f = makeI420Sample(64, 48, 100, 128, 128, i * GST_SECOND / 30);
      s.onPublisherVideo(f.get());
      // The pipeline keeps the newest frame only: pace like a camera so none is replaced.
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  MainLoop loop_;
};

TEST_F(StreamFanOut, AudioReachesEveryViewerThatTakesItAsTheSameBuffer) {
  auto stream = std::make_shared<Stream>("s", 500'000, loop_);
  auto a = std::make_shared<FakeViewer>(sessionInfo("a", "s"), std::nullopt, true);
  auto b = std::make_shared<FakeViewer>(sessionInfo("b", "s"), std::nullopt, true);
  auto mute = std::make_shared<FakeViewer>(sessionInfo("m", "s"), std::nullopt, false);
  stream->addViewer(a);
  stream->addViewer(b);
  stream->addViewer(mute);
  auto opus = opusSample(0);
  stream->onPublisherAudio(opus.get());
  ASSERT_EQ(a->count(a->audio), 1u);
  ASSERT_EQ(b->count(b->audio), 1u);
  EXPECT_EQ(mute->count(mute->audio), 0u);
  // Zero copy: both viewers hold the publisher's own buffer.
  EXPECT_EQ(gst_sample_get_buffer(a->audio[0].get()), gst_sample_get_buffer(opus.get()));
  EXPECT_EQ(gst_sample_get_buffer(b->audio[0].get()), gst_sample_get_buffer(opus.get()));
  stream->removeViewer("a");
  stream->onPublisherAudio(opus.get());
  EXPECT_EQ(a->count(a->audio), 1u);
  EXPECT_EQ(b->count(b->audio), 2u);
  loop_.invokeSync([&] { stream->shutdown(); });
}

// A status request may read a stream while it ends (the live worker's /stream/status during
// its lifecycle thread's teardown): its figures stay readable, and a late frame is dropped.
TEST_F(StreamFanOut, AStreamThatWasShutDownStillAnswersItsStatsAndDropsLateFrames) {
  auto stream = std::make_shared<Stream>("s", 500'000, loop_);
  auto v = std::make_shared<FakeViewer>(sessionInfo("v", "s"), VideoCodec::H264, false);
  stream->addViewer(v);
  feedVideo(*stream, 5);
  loop_.invokeSync([&] { stream->shutdown(); });
  const StreamStats before = stream->stats();
  feedVideo(*stream, 3);
  const StreamStats after = stream->stats();
  EXPECT_EQ(after.framesProcessed, before.framesProcessed);
  EXPECT_EQ(after.streamId, "s");
}

TEST_F(StreamFanOut, OneEncoderPerCodecFeedsEveryViewerOfThatCodecTheSameBuffers) {
  auto stream = std::make_shared<Stream>("s", 500'000, loop_);
  auto h1 = std::make_shared<FakeViewer>(sessionInfo("h1", "s"), VideoCodec::H264, false);
  auto h2 = std::make_shared<FakeViewer>(sessionInfo("h2", "s"), VideoCodec::H264, false);
  auto vp8 = std::make_shared<FakeViewer>(sessionInfo("v", "s"), VideoCodec::VP8, false);
  stream->addViewer(h1);
  stream->addViewer(h2);
  stream->addViewer(vp8);
  feedVideo(*stream, 20);
  ASSERT_TRUE(h1->waitFor(h1->video, 5));
  ASSERT_TRUE(h2->waitFor(h2->video, 5));
  ASSERT_TRUE(vp8->waitFor(vp8->video, 5));
  const GstStructure* h264 = gst_caps_get_structure(gst_sample_get_caps(h1->video[0].get()), 0);
  EXPECT_STREQ(gst_structure_get_name(h264), "video/x-h264");
  const GstStructure* v = gst_caps_get_structure(gst_sample_get_caps(vp8->video[0].get()), 0);
  EXPECT_STREQ(gst_structure_get_name(v), "video/x-vp8");
  // Encode once: the two H.264 viewers got the very same encoded buffers.
  EXPECT_EQ(gst_sample_get_buffer(h1->video[0].get()), gst_sample_get_buffer(h2->video[0].get()));
  const auto stats = stream->stats();
  EXPECT_EQ(stats.viewers, 3u);
  EXPECT_GE(stats.framesProcessed, 5u);
  loop_.invokeSync([&] { stream->shutdown(); });
}

TEST_F(StreamFanOut, APublisherTakesAndGivesBackTheRole) {
  auto stream = std::make_shared<Stream>("s", 500'000, loop_);
  EXPECT_FALSE(stream->hasPublisher());
  auto p = std::make_shared<test::FakePublisher>(sessionInfo("p", "s"));
  stream->attachPublisher(p);
  EXPECT_TRUE(stream->hasPublisher());
  stream->detachPublisher("someone else");
  EXPECT_TRUE(stream->hasPublisher());
  stream->detachPublisher("p");
  EXPECT_FALSE(stream->hasPublisher());
  loop_.invokeSync([&] { stream->shutdown(); });
}

}  // namespace
}  // namespace cs
