#pragma once
// The clip jobs of the process: at most maxJobs run at once (each on a worker thread of its own,
// niced), up to maxQueued more wait, and past that a submit is refused with Capacity (503 +
// Retry-After). A job's upload and result live in the clip directory; the upload goes as soon as
// the job ends, the result (and the job's status) after the retention period, or at once on
// remove(). See docs/CLIPS.md.
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "clip/ClipJob.h"
#include "clip/ClipSettings.h"

namespace cs {

struct ClipInfo {
  std::string id;
  std::string workflow;  // its name, for status and logs
  ClipProgress progress;
  double createdAt = 0, finishedAt = 0;  // Unix seconds; finishedAt 0 until it ends
  std::filesystem::path result;          // the MP4, once completed
};

class ClipJobs {
 public:
  // Called once on the job's worker thread when it ends (completed, failed, cancelled).
  using OnFinished = std::function<void(const ClipInfo&)>;

  // Creates the clip directory and removes what a previous run left in it (its jobs are gone).
  // Starts the worker threads. A directory that cannot be created is logged, not fatal: every
  // clip request is then refused with ControlError(Internal) naming why, until it can be.
  explicit ClipJobs(ClipSettings settings);
  // Cancels every job and joins the workers.
  ~ClipJobs();
  ClipJobs(const ClipJobs&) = delete;
  ClipJobs& operator=(const ClipJobs&) = delete;

  // A fresh path in the clip directory for an upload to be written to (then submitted).
  std::filesystem::path uploadPath() const;
  // Fails fast, before an upload is stored, when no job could be queued now: ControlError
  // (Capacity) with Retry-After, or (Internal) when the clip directory is unusable.
  void checkCapacity() const;
  // Queues a job on `upload` (moved into the clip directory when it is elsewhere). Throws
  // ControlError(Capacity) when the queue is full (the upload is then removed).
  ClipInfo submit(const std::filesystem::path& upload, std::string workflow,
                  ClipJob::MakeWorkflow makeWorkflow, OnFinished onFinished = {});
  std::optional<ClipInfo> get(const std::string& id) const;
  // Cancels a queued or running job and removes it and its files. False when unknown.
  bool remove(const std::string& id);
  // Drops finished jobs older than the retention period, with their files. The workers call it
  // while idle; callable from any thread.
  void sweep();

  const ClipSettings& settings() const { return settings_; }
  size_t running() const;
  size_t queued() const;

 private:
  struct Entry {
    std::shared_ptr<ClipJob> job;
    ClipInfo info;  // progress is read from job
    OnFinished onFinished;
  };
  void work();
  ClipInfo infoLocked(const Entry& e) const;
  bool fullLocked() const;
  bool usableDirectory() const;  // creates it when missing; sets directoryError_ when it cannot
  void removeFiles(const Entry& e) const;

  const ClipSettings settings_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Entry> jobs_;
  std::deque<std::string> queue_;
  size_t running_ = 0;
  bool stopping_ = false;
  mutable std::string directoryError_;
  std::vector<std::thread> workers_;
};

}  // namespace cs
