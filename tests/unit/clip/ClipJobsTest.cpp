// The clip registry: queue limits, results, remove, retention, what a restart leaves behind.
#include "clip/ClipJobs.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <future>
#include <optional>
#include <thread>

#include "ClipMedia.h"
#include "util/ControlError.h"
#include "workflow/GraphWorkflow.h"

namespace cs {
namespace {

namespace fs = std::filesystem;

// Polls `done` until it holds or 30 s pass (a hung job fails the test instead of hanging it).
template <typename Pred>
bool eventually(Pred done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// A workflow that holds every frame until released, so a test controls when a job ends.
class GateWorkflow final : public FrameWorkflow {
 public:
  std::string_view name() const override { return "gate"; }
  FrameResult run(const I420View&) noexcept override {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return open_; });
    return {};
  }
  void write(const I420View&) noexcept override {}
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

class ClipJobsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cs-clips-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    ASSERT_TRUE(test::makeMp4(dir_ / "source.mp4", 1, 160, 120, false));
    settings_.directory = dir_ / "clips";
    settings_.maxJobs = 1;
    settings_.maxQueued = 1;
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path upload(ClipJobs& jobs) {
    const fs::path p = jobs.uploadPath();
    fs::copy_file(dir_ / "source.mp4", p);
    return p;
  }
  static ClipJob::MakeWorkflow with(std::shared_ptr<FrameWorkflow> wf) {
    return [wf](int, int) { return wf; };
  }
  static ClipInfo waitFinal(ClipJobs& jobs, const std::string& id) {
    std::optional<ClipInfo> info;
    EXPECT_TRUE(eventually([&] {
      info = jobs.get(id);
      return !info || isFinal(info->progress.state);
    })) << "clip "
        << id << " never finished";
    return info.value_or(ClipInfo{});
  }

  fs::path dir_;
  ClipSettings settings_;
};

TEST_F(ClipJobsTest, RunsOneQueuesOneRefusesTheNext) {
  ClipJobs jobs(settings_);
  auto gate = std::make_shared<GateWorkflow>();
  std::promise<ClipInfo> finished;
  const ClipInfo a = jobs.submit(upload(jobs), "gate", with(gate),
                                 [&](const ClipInfo& i) { finished.set_value(i); });
  ASSERT_TRUE(eventually([&] { return jobs.running() > 0; }));
  const ClipInfo b = jobs.submit(upload(jobs), "gate", with(gate));
  EXPECT_EQ(b.progress.state, ClipState::Queued);
  const fs::path third = upload(jobs);
  try {
    jobs.submit(third, "gate", with(gate));
    ADD_FAILURE() << "a third job was accepted";
  } catch (const ControlError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Capacity);
    EXPECT_GT(e.retryAfter(), 0u);
  }
  EXPECT_FALSE(fs::exists(third)) << "a refused upload is not kept";

  gate->open();
  const ClipInfo done = finished.get_future().get();
  EXPECT_EQ(done.id, a.id);
  EXPECT_EQ(done.progress.state, ClipState::Completed) << done.progress.error;
  EXPECT_TRUE(fs::exists(done.result));
  EXPECT_FALSE(fs::exists(settings_.directory / (a.id + ".in"))) << "the upload goes at the end";
  EXPECT_EQ(waitFinal(jobs, b.id).progress.state, ClipState::Completed);
}

TEST_F(ClipJobsTest, RemoveCancelsARunningJobAndFreesItsFiles) {
  ClipJobs jobs(settings_);
  auto gate = std::make_shared<GateWorkflow>();
  const ClipInfo a = jobs.submit(upload(jobs), "gate", with(gate));
  ASSERT_TRUE(eventually([&] { return jobs.running() > 0; }));
  EXPECT_TRUE(jobs.remove(a.id));
  EXPECT_FALSE(jobs.get(a.id));
  gate->open();  // the frame in the workflow finishes; the job then sees the cancel
  ASSERT_TRUE(eventually([&] { return jobs.running() == 0; }));
  EXPECT_TRUE(fs::is_empty(settings_.directory));
  EXPECT_FALSE(jobs.remove(a.id));
}

TEST_F(ClipJobsTest, RetentionDropsFinishedJobsAndTheirResults) {
  settings_.retention = std::chrono::seconds(0);
  ClipJobs jobs(settings_);
  auto gate = std::make_shared<GateWorkflow>();
  gate->open();
  const ClipInfo a = jobs.submit(upload(jobs), "gate", with(gate));
  const ClipInfo done = waitFinal(jobs, a.id);
  ASSERT_EQ(done.progress.state, ClipState::Completed);
  // finishedAt is in seconds; a sweep a moment later is past a zero retention.
  EXPECT_TRUE(eventually([&] {
    jobs.sweep();
    return !jobs.get(a.id);
  }));
  EXPECT_FALSE(fs::exists(done.result));
}

TEST_F(ClipJobsTest, ARestartRemovesWhatThePreviousRunLeft) {
  fs::create_directories(settings_.directory);
  std::ofstream(settings_.directory / "old.in") << "x";
  std::ofstream(settings_.directory / "old.mp4") << "x";
  std::ofstream(settings_.directory / "keep.txt") << "x";
  ClipJobs jobs(settings_);
  EXPECT_FALSE(fs::exists(settings_.directory / "old.in"));
  EXPECT_FALSE(fs::exists(settings_.directory / "old.mp4"));
  EXPECT_TRUE(fs::exists(settings_.directory / "keep.txt"));
}

}  // namespace
}  // namespace cs
