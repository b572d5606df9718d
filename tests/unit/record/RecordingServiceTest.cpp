// Recordings through the real stream core: a registry, a stream with a publisher that has no
// transport (FakeSessions.h), the stream's own encoder, and the recorder as one of its viewers.
#include "record/RecordingService.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "../TestFrames.h"
#include "../stream/FakeSessions.h"
#include "RecordingMedia.h"
#include "util/ControlError.h"

namespace cs {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

template <typename Pred>
bool eventually(Pred pred, milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return true;
}

class RecordingServiceTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() / ("cs-recsvc-" + std::to_string(::getpid()) + "-" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    settings_.dir = dir_ / "recordings";
  }
  void TearDown() override {
    service_.reset();
    registry_.reset();
    fs::remove_all(dir_);
  }

  void make() {
    registry_ = std::make_unique<StreamRegistry>(RegistrySettings{}, loop_);
    service_ = std::make_unique<RecordingService>(settings_, *registry_, loop_);
  }

  std::shared_ptr<test::FakePublisher> publish(const std::string& streamId,
                                               const std::string& id = "pub") {
    auto role = registry_->reservePublisher(streamId);
    auto pub = std::make_shared<test::FakePublisher>(test::sessionInfo(id, streamId));
    registry_->attachPublisher(role, pub);
    return pub;
  }

  // Camera-paced frames of luma y through the stream's pipeline and encoder.
  void feed(const std::string& streamId, int frames, uint8_t y) {
    auto stream = registry_->findStream(streamId);
    ASSERT_TRUE(stream);
    for (int i = 0; i < frames; ++i, pts_ += GST_SECOND / 30) {
      auto f = test::makeI420Sample(160, 120, y, 128, 128, pts_);
      stream->onPublisherVideo(f.get());
      // The pipeline keeps the newest frame only: pace like a camera so none is replaced.
      std::this_thread::sleep_for(milliseconds(8));
    }
  }

  MainLoop loop_;
  fs::path dir_;
  RecordingSettings settings_;
  std::unique_ptr<StreamRegistry> registry_;
  std::unique_ptr<RecordingService> service_;
  GstClockTime pts_ = 0;
};

TEST_F(RecordingServiceTest, RecordsTheStreamsEncodedOutputUntilStopped) {
  make();
  publish("cam 1");
  const RecordingStatus started = service_->start("cam 1");
  EXPECT_EQ(started.state, RecordingState::Recording);
  EXPECT_EQ(started.streamId, "cam 1");
  EXPECT_EQ(fs::path(started.path).parent_path(), settings_.dir);
  EXPECT_TRUE(fs::path(started.path).filename().string().starts_with("cam_1-"));
  EXPECT_TRUE(
      fs::path(started.path).filename().string().ends_with(started.id.substr(0, 8) + ".mkv"));
  // A viewer of its stream like any other, known to the registry.
  const auto v = registry_->viewerStats(started.id);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->videoCodec, VideoCodec::H264);
  EXPECT_EQ(registry_->findStream("cam 1")->viewerCount(), 1u);

  feed("cam 1", 45, 220);
  ASSERT_TRUE(
      eventually([&] { return service_->status("cam 1", started.id)->framesWritten >= 30; }));
  const RecordingStatus done = service_->stop("cam 1", started.id);
  EXPECT_EQ(done.state, RecordingState::Stopped);
  EXPECT_GE(done.framesWritten, 30u);
  EXPECT_EQ(done.bytes, fs::file_size(done.path));
  EXPECT_FALSE(registry_->viewerStats(started.id));  // off the stream
  // Still answerable, and listed, after it ended.
  EXPECT_EQ(service_->status("cam 1", started.id)->state, RecordingState::Stopped);
  ASSERT_EQ(service_->list("cam 1").size(), 1u);
  EXPECT_FALSE(service_->status("other", started.id));

  const auto d = test::decodeFile(done.path);
  ASSERT_EQ(d.error, "");
  EXPECT_TRUE(d.firstVideoIsKeyframe);
  EXPECT_EQ(d.trackWidth, 160);
  EXPECT_EQ(d.videoFrames, static_cast<int>(done.framesWritten));
  EXPECT_NEAR(d.lumas.back(), 220, 8);
  EXPECT_EQ(d.audioCodec, "");  // the publisher had no audio
}

TEST_F(RecordingServiceTest, RefusesWhatItCannotRecordWithTheRightKind) {
  make();
  const auto kindOf = [&](const std::string& streamId) {
    try {
      service_->start(streamId);
    } catch (const ControlError& e) {
      return e.kind();
    }
    return ErrorKind::Internal;  // not expected: it started
  };
  EXPECT_EQ(kindOf("nobody"), ErrorKind::NotFound);
  EXPECT_EQ(kindOf(std::string("bad\nid")), ErrorKind::BadRequest);
  // A stream whose publisher is still negotiating: nothing to record yet (409).
  auto role = registry_->reservePublisher("soon");
  EXPECT_EQ(kindOf("soon"), ErrorKind::NoPublisher);
  EXPECT_FALSE(fs::exists(settings_.dir) && !fs::is_empty(settings_.dir));  // no stray file
}

TEST_F(RecordingServiceTest, AnUnwritableDirectoryIsA500WithTheReason) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "file") << "x";
  settings_.dir = dir_ / "file" / "recordings";
  make();
  publish("cam");
  try {
    service_->start("cam");
    FAIL() << "started";
  } catch (const ControlError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Internal);
    EXPECT_NE(std::string(e.what()).find("Not a directory"), std::string::npos) << e.what();
  }
  EXPECT_EQ(registry_->findStream("cam")->viewerCount(), 0u);
}

TEST_F(RecordingServiceTest, SurvivesAChangeOfPublisherAndStopsWhenNoneComesBack) {
  settings_.noPublisherTimeout = milliseconds(1500);
  make();
  publish("show", "pub1");
  const auto rec = service_->start("show");
  feed("show", 30, 60);
  registry_->endPublisher("pub1");
  // The recording keeps the stream alive for the next publisher.
  ASSERT_TRUE(registry_->findStream("show"));
  publish("show", "pub2");
  feed("show", 30, 180);
  ASSERT_TRUE(eventually([&] { return service_->status("show", rec.id)->framesWritten >= 50; }));
  EXPECT_EQ(service_->status("show", rec.id)->state, RecordingState::Recording);

  // The second publisher leaves and nobody replaces it: the recording ends by itself.
  registry_->endPublisher("pub2");
  ASSERT_TRUE(eventually(
      [&] { return service_->status("show", rec.id)->state == RecordingState::Stopped; }));
  EXPECT_FALSE(registry_->findStream("show"));  // and the stream is retired with it
  const auto d = test::decodeFile(rec.path);
  ASSERT_EQ(d.error, "");
  EXPECT_NEAR(d.lumas.front(), 60, 8);
  EXPECT_NEAR(d.lumas.back(), 180, 8);
}

TEST_F(RecordingServiceTest, ShutdownFinalizesEveryRecording) {
  make();
  publish("a", "pa");
  publish("b", "pb");
  const auto ra = service_->start("a");
  const auto rb = service_->start("b");
  feed("a", 20, 100);
  feed("b", 20, 100);
  service_->shutdown();
  EXPECT_EQ(service_->status("a", ra.id)->state, RecordingState::Stopped);
  EXPECT_EQ(service_->status("b", rb.id)->state, RecordingState::Stopped);
  EXPECT_EQ(test::decodeFile(ra.path).error, "");
  EXPECT_EQ(test::decodeFile(rb.path).error, "");
}

}  // namespace
}  // namespace cs
