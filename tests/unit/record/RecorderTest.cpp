#include "record/Recorder.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "RecordingMedia.h"
#include "util/ControlError.h"

namespace cs {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using test::DecodedFile;

constexpr GstClockTime kFrame = GST_SECOND / 30;

double secs(GstClockTime t) {
  return static_cast<double>(t) / GST_SECOND;
}

template <typename Pred>
bool waitFor(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return true;
}

class RecorderTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() / ("cs-recorder-" + std::to_string(::getpid()) + "-" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!std::getenv("CS_KEEP_RECORDINGS")) fs::remove_all(dir_);
  }

  std::shared_ptr<Recorder> makeRecorder(bool withAudio, UniqueFd fd = UniqueFd()) {
    Recorder::Options o;
    o.path = dir_ / "cam.mkv";
    o.withAudio = withAudio;
    o.requestKeyframe = [this] { keyframeRequests_++; };
    SessionInfo info{"rec1", "cam", 0, {}, {}};
    return fd ? std::make_shared<Recorder>(info, o, std::move(fd), loop_)
              : std::make_shared<Recorder>(info, o, loop_);
  }

  // Feeds video and audio in running-time order, as a stream would. Never lets the writer fall
  // more than ~2 s behind, so no frame is dropped however busy the machine is.
  void feed(Recorder& r, const std::vector<SamplePtr>& video,
            const std::vector<SamplePtr>& audio = {}) {
    size_t a = 0;
    uint64_t fed = r.status().framesWritten;
    for (const auto& v : video) {
      const GstClockTime vt = runningTimeOf(v.get());
      for (; a < audio.size() && runningTimeOf(audio[a].get()) <= vt; ++a)
        r.onAudio(audio[a].get());
      r.onVideo(v.get());
      if (++fed % 30 == 0) {
        ASSERT_TRUE(waitFor([&] { return r.status().framesWritten + 60 >= fed; }));
      }
    }
    for (; a < audio.size(); ++a) r.onAudio(audio[a].get());
  }

  void stop(Recorder& r) {
    loop_.invokeSync([&] { r.stop(); });
    ASSERT_TRUE(r.waitFinished(std::chrono::seconds(10)));
  }

  MainLoop loop_;
  fs::path dir_;
  std::atomic<int> keyframeRequests_{0};
};

TEST_F(RecorderTest, RecordsH264AndOpusFromTheFirstKeyframeRebasedToZero) {
  // The stream has been running for 5 s; the recording joins mid-GOP: frame 0 is a keyframe,
  // the next one is frame 60. Audio runs from before that keyframe.
  const GstClockTime start = 5 * GST_SECOND;
  auto video = test::encodeH264(loop_, 320, 240, 150, start, 200);
  ASSERT_EQ(video.size(), 150u);
  ASSERT_TRUE(test::isKeyframe(video[0].get()));
  ASSERT_TRUE(test::isKeyframe(video[60].get()));
  for (int i = 1; i < 60; ++i) ASSERT_FALSE(test::isKeyframe(video[i].get())) << i;
  video.erase(video.begin(), video.begin() + 10);  // joins at frame 10, a delta frame
  auto audio = test::encodeOpus(250, start);       // 5 s from the stream's frame 0

  auto rec = makeRecorder(true);
  rec->start();
  EXPECT_EQ(keyframeRequests_, 1);  // asked the stream for a keyframe right away
  feed(*rec, video, audio);
  ASSERT_TRUE(waitFor([&] { return rec->status().framesWritten == 90; }));
  stop(*rec);

  const auto st = rec->status();
  EXPECT_EQ(st.state, RecordingState::Stopped);
  EXPECT_EQ(rec->state(), ConnectionState::Closed);
  EXPECT_EQ(st.error, "");
  EXPECT_EQ(st.framesWritten, 90u);  // frames 60..149
  EXPECT_EQ(st.framesDropped, 0u);
  EXPECT_EQ(st.bytes, fs::file_size(dir_ / "cam.mkv"));
  EXPECT_NEAR(secs(st.durationNs), 3.0, 0.05);

  const DecodedFile d = test::decodeFile(dir_ / "cam.mkv");
  ASSERT_EQ(d.error, "");
  EXPECT_TRUE(d.eos);
  EXPECT_EQ(d.videoCodec, "video/x-h264");
  EXPECT_EQ(d.trackWidth, 320);
  EXPECT_EQ(d.trackHeight, 240);
  EXPECT_TRUE(d.firstVideoIsKeyframe);
  EXPECT_EQ(d.videoFrames, 90);
  ASSERT_EQ(d.sizes.size(), 1u);
  EXPECT_EQ(d.sizes[0], (std::pair{320, 240}));
  EXPECT_NEAR(d.lumas.front(), 200, 8);
  EXPECT_EQ(d.firstVideoPts, 0u);
  EXPECT_NEAR(secs(d.lastVideoPts), 89 * secs(kFrame), 0.002);
  // Audio: the file's zero is the keyframe's running time for both tracks (A/V stay aligned);
  // what came before it is not in the file.
  EXPECT_EQ(d.audioCodec, "audio/x-opus");
  EXPECT_NEAR(secs(d.firstAudioPts), 0.0, 0.021);
  EXPECT_NEAR(secs(d.audioEnd), 3.0, 0.05);
  EXPECT_NEAR(d.audioBuffers, 150, 2);
}

TEST_F(RecorderTest, WhatIsOnDiskWhileRecordingPlaysToTheLastSecond) {
  // A SIGKILL leaves exactly the bytes written so far: a copy taken mid-recording is that file.
  auto video = test::encodeH264(loop_, 320, 240, 120, GST_SECOND, 90);
  auto audio = test::encodeOpus(200, GST_SECOND);
  auto rec = makeRecorder(true);
  rec->start();
  feed(*rec, video, audio);
  ASSERT_TRUE(waitFor([&] { return rec->status().framesWritten == 120; }));
  const fs::path copy = dir_ / "copy.mkv";
  fs::copy_file(dir_ / "cam.mkv", copy);

  const DecodedFile d = test::decodeFile(copy);
  EXPECT_EQ(d.error, "");
  EXPECT_TRUE(d.firstVideoIsKeyframe);
  EXPECT_EQ(d.trackWidth, 320);
  // Every block goes to the file as it is muxed: only the last few frames may be missing.
  EXPECT_GE(secs(d.lastVideoPts), 119 * secs(kFrame) - 0.5);
  EXPECT_GE(secs(d.audioEnd), 3.0);
  stop(*rec);
}

TEST_F(RecorderTest, AWriteErrorFailsThisRecordingAndItKeepsDroppingWithoutBlocking) {
  // /dev/full: every write fails with ENOSPC, as on a full disk.
  UniqueFd full(::open("/dev/full", O_WRONLY | O_CLOEXEC));
  ASSERT_TRUE(full);
  std::vector<RecordingStatus> finished;
  auto rec = makeRecorder(false, std::move(full));
  std::mutex mu;
  std::string endedWith;
  rec->onEnded([&](const std::string& why) {
    std::lock_guard lock(mu);
    endedWith = why;
  });
  auto video = test::encodeH264(loop_, 160, 120, 60, 0);
  rec->start();
  EXPECT_EQ(rec->state(), ConnectionState::Connected);
  for (const auto& v : video) rec->onVideo(v.get());
  ASSERT_TRUE(waitFor([&] { return rec->status().state == RecordingState::Failed; }));
  ASSERT_TRUE(rec->waitFinished(std::chrono::seconds(10)));
  auto st = rec->status();
  EXPECT_NE(st.error.find("No space left"), std::string::npos) << st.error;
  EXPECT_NE(st.error.find("writing the file failed"), std::string::npos) << st.error;
  // As a viewer it has ended: the registry takes it off the stream, its status stays.
  EXPECT_EQ(rec->state(), ConnectionState::Failed);
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(endedWith, "recording failed: " + st.error);
  }

  // The stream goes on: frames still arrive, and are dropped and counted at once (a call that
  // blocked would hang this loop; how fast it returns is measured in make bench, not here).
  const uint64_t droppedBefore = st.framesDropped;
  for (int round = 0; round < 10; ++round)
    for (const auto& v : video) rec->onVideo(v.get());
  EXPECT_EQ(rec->status().framesDropped, droppedBefore + 600);
  loop_.invokeSync([&] { rec->stop(); });  // stopping a failed recording is harmless
  EXPECT_EQ(rec->status().state, RecordingState::Failed);
}

TEST_F(RecorderTest, AStuckWriterNeverBlocksTheStreamAndDropsAreCounted) {
  // A pipe nobody reads: the writer blocks once the pipe's 64 KiB are full, like a stalled disk.
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  UniqueFd readEnd(fds[0]);
  auto rec = makeRecorder(false, UniqueFd(fds[1]));
  auto video = test::encodeH264(loop_, 320, 240, 60, 0, 30);
  rec->start();
  // A call that blocked on the full pipe would hang this loop: returning at all is the proof.
  uint64_t pushed = 0;
  GstClockTime pts = 0;
  while (rec->status().framesDropped == 0 && pushed < 5000) {
    // Keep the frames' order and keep time moving forward, GOP after GOP.
    for (const auto& v : video) {
      auto s = test::restamp(v.get(), pts);
      pts += kFrame;
      rec->onVideo(s.get());
      ++pushed;
    }
  }
  const auto st = rec->status();
  EXPECT_GT(st.framesDropped, 0u);
  EXPECT_EQ(st.state, RecordingState::Recording);
  EXPECT_GE(keyframeRequests_, 2);  // start, then resuming after the drop

  // Drain the pipe so the recorder can finish.
  std::thread reader([fd = readEnd.get()] {
    char buf[65536];
    while (::read(fd, buf, sizeof buf) > 0) {
    }
  });
  stop(*rec);
  reader.join();
  EXPECT_EQ(rec->status().state, RecordingState::Stopped);
}

TEST_F(RecorderTest, APublisherChangeWithANewSizeKeepsRecordingInOneFile) {
  // Publisher 1 at 320x240; nobody for 2 s; publisher 2 at 640x480 (the encoder restarts with
  // a keyframe and new SPS/PPS). The running time keeps going: one clock per stream.
  auto first = test::encodeH264(loop_, 320, 240, 60, 10 * GST_SECOND, 60);
  auto second = test::encodeH264(loop_, 640, 480, 60, 14 * GST_SECOND, 180);
  auto rec = makeRecorder(false);
  rec->start();
  feed(*rec, first);
  feed(*rec, second);
  ASSERT_TRUE(waitFor([&] { return rec->status().framesWritten == 120; }));
  stop(*rec);
  EXPECT_EQ(rec->status().state, RecordingState::Stopped) << rec->status().error;
  EXPECT_NEAR(secs(rec->status().durationNs), 6.0, 0.05);

  const DecodedFile d = test::decodeFile(dir_ / "cam.mkv");
  ASSERT_EQ(d.error, "");
  EXPECT_EQ(d.videoFrames, 120);
  ASSERT_EQ(d.sizes.size(), 2u);
  EXPECT_EQ(d.sizes[0], (std::pair{320, 240}));
  EXPECT_EQ(d.sizes[1], (std::pair{640, 480}));
  EXPECT_NEAR(d.lumas.front(), 60, 8);
  EXPECT_NEAR(d.lumas.back(), 180, 8);
  EXPECT_NEAR(secs(d.lastVideoPts), 4.0 + 59 * secs(kFrame), 0.002);
}

TEST_F(RecorderTest, MissingAudioDoesNotStallTheVideo) {
  // A stream with audio whose publisher sends none (or a new publisher without audio): the
  // muxer waits for both tracks, so the recorder fills the audio track with silence.
  auto video = test::encodeH264(loop_, 160, 120, 120, 0);
  auto rec = makeRecorder(true);
  rec->start();
  feed(*rec, video);
  // Silence is filled up to half a second behind the newest frame once audio lags by a second,
  // so the written video trails the stream by about a second at most, never more.
  ASSERT_TRUE(waitFor([&] { return rec->status().framesWritten >= 120 - 31; }))
      << rec->status().framesWritten;
  stop(*rec);
  const auto st = rec->status();
  EXPECT_EQ(st.state, RecordingState::Stopped);
  EXPECT_EQ(st.framesWritten, 120u);
  const DecodedFile d = test::decodeFile(dir_ / "cam.mkv");
  ASSERT_EQ(d.error, "");
  EXPECT_EQ(d.videoFrames, 120);
  EXPECT_EQ(d.audioCodec, "audio/x-opus");
}

TEST_F(RecorderTest, StopBeforeAnyKeyframeLeavesAStoppedRecording) {
  auto rec = makeRecorder(true);
  rec->start();
  stop(*rec);
  EXPECT_EQ(rec->status().state, RecordingState::Stopped);
  EXPECT_EQ(rec->status().framesWritten, 0u);
}

TEST_F(RecorderTest, NeverOverwritesAFile) {
  std::ofstream(dir_ / "cam.mkv") << "precious";
  try {
    makeRecorder(false);
    FAIL() << "expected an error";
  } catch (const ControlError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Internal);
    EXPECT_NE(std::string(e.what()).find("File exists"), std::string::npos) << e.what();
  }
  EXPECT_EQ(fs::file_size(dir_ / "cam.mkv"), 8u);
}

}  // namespace
}  // namespace cs
