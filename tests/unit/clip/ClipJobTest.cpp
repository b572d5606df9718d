// ClipJob end to end on real files: decode, the workflow on every frame, encode, mux; what the
// result holds is read back through decodebin.
#include "clip/ClipJob.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>

#include "ClipMedia.h"
#include "clip/ThreadPriority.h"
#include "workflow/GraphWorkflow.h"

namespace cs {
namespace {

namespace fs = std::filesystem;

class ClipJobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cs-clip-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static ClipJob::MakeWorkflow named(const std::string& name) {
    return [name](int w, int h) -> std::shared_ptr<FrameWorkflow> {
      NodeContext ctx;
      ctx.width = w;
      ctx.height = h;
      return GraphWorkflow::build(name, *builtinWorkflow(name), ctx);
    };
  }

  ClipJob::Options options(const fs::path& in, ClipJob::MakeWorkflow wf) {
    ClipJob::Options o;
    o.input = in;
    o.output = dir_ / "out.mp4";
    o.makeWorkflow = std::move(wf);
    o.niceness = 10;
    o.encoderThreads = 1;
    return o;
  }

  fs::path dir_;
};

TEST_F(ClipJobTest, InvertsEveryFrameOfAnMp4KeepingCountDurationAndAudio) {
  const fs::path in = dir_ / "in.mp4";
  ASSERT_TRUE(test::makeMp4(in));
  const test::ClipContents src = test::inspectClip(in);
  ASSERT_TRUE(src.ok);
  ASSERT_EQ(src.frames, 150);
  ASSERT_GT(src.firstLuma, 200);

  ClipJob job(options(in, named("invert")));
  job.run();
  const ClipProgress p = job.progress();
  ASSERT_EQ(p.state, ClipState::Completed) << p.error;
  EXPECT_EQ(p.framesDone, 150u);
  EXPECT_EQ(p.framesTotal, 150u);
  EXPECT_EQ(p.width, 320);
  EXPECT_EQ(p.height, 240);
  EXPECT_TRUE(p.hasAudio);
  EXPECT_GT(p.fps, 0);

  const test::ClipContents out = test::inspectClip(dir_ / "out.mp4");
  ASSERT_TRUE(out.ok);
  EXPECT_EQ(out.frames, src.frames);
  EXPECT_EQ(out.width, 320);
  EXPECT_EQ(out.height, 240);
  EXPECT_EQ(out.firstPts, src.firstPts);
  EXPECT_EQ(out.end, src.end);
  EXPECT_LT(out.firstLuma, 40) << "white in, so black out";
  EXPECT_GT(out.audioBuffers, 0);
}

TEST_F(ClipJobTest, DecodesWebmVp8) {
  const fs::path in = dir_ / "in.webm";
  ASSERT_TRUE(test::makeWebm(in));
  const test::ClipContents src = test::inspectClip(in);
  ASSERT_TRUE(src.ok);

  ClipJob job(options(in, named("invert")));
  job.run();
  const ClipProgress p = job.progress();
  ASSERT_EQ(p.state, ClipState::Completed) << p.error;
  const test::ClipContents out = test::inspectClip(dir_ / "out.mp4");
  ASSERT_TRUE(out.ok);
  EXPECT_EQ(out.frames, src.frames);
  EXPECT_EQ(out.end, src.end);
  EXPECT_LT(out.firstLuma, 40);
  EXPECT_GT(out.audioBuffers, 0);
}

TEST_F(ClipJobTest, AClipWithoutAudioGivesAResultWithoutAudio) {
  const fs::path in = dir_ / "in.mp4";
  ASSERT_TRUE(test::makeMp4(in, 1, 160, 120, false));
  ClipJob job(options(in, named("passthrough")));
  job.run();
  ASSERT_EQ(job.progress().state, ClipState::Completed) << job.progress().error;
  EXPECT_FALSE(job.progress().hasAudio);
  const test::ClipContents out = test::inspectClip(dir_ / "out.mp4");
  EXPECT_EQ(out.frames, 30);
  EXPECT_GT(out.firstLuma, 200) << "passthrough keeps the picture";
  EXPECT_EQ(out.audioBuffers, 0);
}

// Garbage fails from the decoder's own error, not from the first-frame timeout: the reason is
// the decoder's, and no output is left behind.
TEST_F(ClipJobTest, GarbageFailsWithTheDecodersReason) {
  const fs::path in = dir_ / "garbage.mp4";
  {
    std::ofstream f(in, std::ios::binary);
    std::mt19937 rng(7);
    for (int i = 0; i < 200'000; ++i) f.put(static_cast<char>(rng()));
  }
  ClipJob job(options(in, named("invert")));
  job.run();
  const ClipProgress p = job.progress();
  EXPECT_EQ(p.state, ClipState::Failed);
  EXPECT_FALSE(p.error.empty());
  EXPECT_EQ(p.error.find("no video frame could be decoded"), std::string::npos) << p.error;
  EXPECT_FALSE(fs::exists(dir_ / "out.mp4"));
}

TEST_F(ClipJobTest, TruncatedMp4Fails) {
  const fs::path whole = dir_ / "whole.mp4", in = dir_ / "cut.mp4";
  ASSERT_TRUE(test::makeMp4(whole, 2));
  fs::copy_file(whole, in);
  fs::resize_file(in, fs::file_size(whole) / 2);
  ClipJob job(options(in, named("invert")));
  job.run();
  const ClipProgress p = job.progress();
  EXPECT_EQ(p.state, ClipState::Failed);
  // qtdemux's "no playable streams", or (when decodebin drops that error: ClipSettings.h) the
  // first-frame deadline: failed either way, with a reason.
  EXPECT_FALSE(p.error.empty());
  EXPECT_FALSE(fs::exists(dir_ / "out.mp4"));
}

TEST_F(ClipJobTest, LongerThanTheLimitFails) {
  const fs::path in = dir_ / "in.mp4";
  ASSERT_TRUE(test::makeMp4(in, 3, 160, 120, false));
  auto o = options(in, named("invert"));
  o.limits.maxDuration = std::chrono::seconds(1);
  ClipJob job(o);
  job.run();
  EXPECT_EQ(job.progress().state, ClipState::Failed);
  EXPECT_NE(job.progress().error.find("limit"), std::string::npos) << job.progress().error;
}

TEST_F(ClipJobTest, LargerThanTheImageLimitsFails) {
  const fs::path in = dir_ / "in.mp4";
  ASSERT_TRUE(test::makeMp4(in, 1, 320, 240, false));
  auto o = options(in, named("invert"));
  o.limits.maxWidth = 256;
  ClipJob job(o);
  job.run();
  EXPECT_EQ(job.progress().state, ClipState::Failed);
  EXPECT_NE(job.progress().error.find("320x240"), std::string::npos) << job.progress().error;
}

// A workflow that cancels its own job at frame 10 and records the niceness it runs at.
class CancellingWorkflow final : public FrameWorkflow {
 public:
  explicit CancellingWorkflow(ClipJob*& job) : job_(job) {}
  std::string_view name() const override { return "cancelling"; }
  FrameResult run(const I420View&) noexcept override {
    nice_ = threadNiceness();
    if (++frames_ == 10) {
      niced_ = nicedThreads();
      job_->cancel();
    }
    return {};
  }
  // Names of this process's threads at nice 10 (/proc/self/task/*/stat: comm in parentheses,
  // nice is field 19).
  static std::vector<std::string> nicedThreads() {
    std::vector<std::string> out;
    for (const auto& t : fs::directory_iterator("/proc/self/task")) {
      std::ifstream f(t.path() / "stat");
      std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
      const auto open = stat.find('('), close = stat.rfind(')');
      if (open == std::string::npos || close == std::string::npos) continue;
      std::istringstream rest(stat.substr(close + 2));
      std::string field;
      for (int i = 3; i <= 19 && rest >> field; ++i) {
      }
      if (field == "10") out.push_back(stat.substr(open + 1, close - open - 1));
    }
    return out;
  }
  std::vector<std::string> niced_;
  void write(const I420View&) noexcept override {}
  int frames_ = 0;
  int nice_ = -100;

 private:
  ClipJob*& job_;
};

TEST_F(ClipJobTest, CancelStopsWithinAFrameAndLeavesNoFile) {
  const fs::path in = dir_ / "in.mp4";
  ASSERT_TRUE(test::makeMp4(in, 2));
  ClipJob* self = nullptr;
  auto wf = std::make_shared<CancellingWorkflow>(self);
  ClipJob job(options(in, [wf](int, int) { return wf; }));
  self = &job;
  job.run();
  EXPECT_EQ(job.progress().state, ClipState::Cancelled);
  EXPECT_EQ(wf->frames_, 10);
  EXPECT_EQ(wf->nice_, 10) << "the job thread runs at the clip niceness";
  // The pipeline's streaming threads too (GStreamer names a task's thread after its pad): the
  // encoder's appsrc task and the demuxer's.
  const auto named = [&](const std::string& part) {
    return std::any_of(wf->niced_.begin(), wf->niced_.end(),
                       [&](const std::string& n) { return n.find(part) != std::string::npos; });
  };
  EXPECT_TRUE(named("vsrc")) << ::testing::PrintToString(wf->niced_);
  EXPECT_TRUE(named("qtdemux")) << ::testing::PrintToString(wf->niced_);
  EXPECT_FALSE(fs::exists(dir_ / "out.mp4"));
}

TEST_F(ClipJobTest, ACancelledQueuedJobNeverStarts) {
  const fs::path in = dir_ / "in.mp4";
  ASSERT_TRUE(test::makeMp4(in, 1, 160, 120, false));
  bool made = false;
  ClipJob job(options(in, [&](int, int) -> std::shared_ptr<FrameWorkflow> {
    made = true;
    return nullptr;
  }));
  job.cancel();
  EXPECT_EQ(job.progress().state, ClipState::Cancelled);
  job.run();
  EXPECT_EQ(job.progress().state, ClipState::Cancelled);
  EXPECT_FALSE(made);
}

}  // namespace
}  // namespace cs
