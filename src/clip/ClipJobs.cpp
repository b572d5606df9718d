#include "clip/ClipJobs.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <system_error>

#include "clip/ThreadPriority.h"
#include "util/ControlError.h"
#include "util/RandomId.h"

namespace cs {
namespace {

namespace fs = std::filesystem;

// Idle workers sweep this often; a finished job outlives its retention by at most this much.
constexpr auto kSweepInterval = std::chrono::seconds(10);
// What a refused client is told to wait: about one short clip.
constexpr unsigned kRetryAfterSeconds = 10;

double unixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

ClipJobs::ClipJobs(ClipSettings settings) : settings_(std::move(settings)) {
  std::error_code ec;
  if (!usableDirectory()) {
    // Not fatal: the rest of the server (live streams, BYOC sessions) works without clips; each
    // clip request tries again and answers 500 with the reason meanwhile.
    spdlog::warn("clips: {}", directoryError_);
  }
  // Uploads and results of a previous run: their jobs died with it (a BYOC session that knew
  // one says "interrupted by restart"), so nothing will ever serve or remove them.
  for (const auto& entry : fs::directory_iterator(settings_.directory, ec)) {
    const auto ext = entry.path().extension();
    if (ext == ".in" || ext == ".mp4" || ext == ".part") fs::remove(entry.path(), ec);
  }
  for (unsigned i = 0; i < std::max(1u, settings_.maxJobs); ++i)
    workers_.emplace_back([this] {
      pthread_setname_np(pthread_self(), "cs:clip");
      lowerThreadPriority(settings_.niceness);
      work();
    });
}

ClipJobs::~ClipJobs() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (auto& [id, e] : jobs_) e.job->cancel();
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
  std::lock_guard lock(mu_);
  for (auto& [id, e] : jobs_) removeFiles(e);
}

fs::path ClipJobs::uploadPath() const {
  return settings_.directory / (newRandomId() + ".part");
}

bool ClipJobs::usableDirectory() const {
  std::error_code ec;
  fs::create_directories(settings_.directory, ec);
  if (!ec && fs::is_directory(settings_.directory)) return true;
  directoryError_ = "cannot use the clip directory '" + settings_.directory.string() +
                    "': " + (ec ? ec.message() : "not a directory");
  return false;
}

void ClipJobs::checkCapacity() const {
  std::lock_guard lock(mu_);
  if (!usableDirectory()) throw ControlError(ErrorKind::Internal, directoryError_);
  if (fullLocked())
    throw ControlError(ErrorKind::Capacity,
                       "every clip job slot is busy (" + std::to_string(settings_.maxJobs) +
                           " running, " + std::to_string(settings_.maxQueued) +
                           " queued); retry later",
                       kRetryAfterSeconds);
}

ClipInfo ClipJobs::submit(const fs::path& upload, std::string workflow,
                          ClipJob::MakeWorkflow makeWorkflow, OnFinished onFinished) {
  std::error_code ec;
  try {
    checkCapacity();
  } catch (...) {
    fs::remove(upload, ec);
    throw;
  }
  const std::string id = newRandomId();
  const fs::path input = settings_.directory / (id + ".in");
  fs::rename(upload, input, ec);
  if (ec) {
    fs::remove(upload, ec);
    throw ControlError(ErrorKind::Internal, "cannot store the clip: " + ec.message());
  }
  ClipJob::Options o;
  o.input = input;
  o.output = settings_.directory / (id + ".mp4");
  o.makeWorkflow = std::move(makeWorkflow);
  o.limits = settings_.limits;
  o.niceness = settings_.niceness;
  o.encoderThreads = settings_.encoderThreads;
  Entry e{std::make_shared<ClipJob>(std::move(o)), {}, std::move(onFinished)};
  e.info.id = id;
  e.info.workflow = std::move(workflow);
  e.info.createdAt = unixNow();
  std::unique_lock lock(mu_);
  // Checked again under the lock: two submits may have passed checkCapacity() together.
  if (fullLocked()) {
    lock.unlock();
    fs::remove(input, ec);
    checkCapacity();
    throw ControlError(ErrorKind::Capacity, "every clip job slot is busy; retry later",
                       kRetryAfterSeconds);
  }
  queue_.push_back(id);
  const ClipInfo info = infoLocked(jobs_.emplace(id, std::move(e)).first->second);
  lock.unlock();
  cv_.notify_one();
  spdlog::info("clip {}: queued with workflow '{}'", id, info.workflow);
  return info;
}

// Every worker busy (or about to be: a queued job a worker has not picked yet) and the queue
// full.
bool ClipJobs::fullLocked() const {
  return queue_.size() + running_ >= std::max(1u, settings_.maxJobs) + settings_.maxQueued;
}

ClipInfo ClipJobs::infoLocked(const Entry& e) const {
  ClipInfo info = e.info;
  info.progress = e.job->progress();
  if (info.progress.state == ClipState::Completed) info.result = e.job->options().output;
  return info;
}

std::optional<ClipInfo> ClipJobs::get(const std::string& id) const {
  std::lock_guard lock(mu_);
  const auto it = jobs_.find(id);
  if (it == jobs_.end()) return std::nullopt;
  return infoLocked(it->second);
}

bool ClipJobs::remove(const std::string& id) {
  std::unique_lock lock(mu_);
  const auto it = jobs_.find(id);
  if (it == jobs_.end()) return false;
  Entry e = std::move(it->second);
  jobs_.erase(it);
  std::erase(queue_, id);
  lock.unlock();
  e.job->cancel();
  // A running job removes its own output when cancelled; a finished one's is removed here. The
  // worker removes the input once run() returns.
  if (isFinal(e.job->progress().state)) removeFiles(e);
  spdlog::info("clip {}: removed", id);
  return true;
}

void ClipJobs::removeFiles(const Entry& e) const {
  std::error_code ec;
  fs::remove(e.job->options().input, ec);
  fs::remove(e.job->options().output, ec);
}

void ClipJobs::sweep() {
  const double cutoff = unixNow() - static_cast<double>(settings_.retention.count());
  std::vector<Entry> expired;
  {
    std::lock_guard lock(mu_);
    for (auto it = jobs_.begin(); it != jobs_.end();) {
      if (it->second.info.finishedAt > 0 && it->second.info.finishedAt < cutoff) {
        expired.push_back(std::move(it->second));
        it = jobs_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const auto& e : expired) removeFiles(e);
}

size_t ClipJobs::running() const {
  std::lock_guard lock(mu_);
  return running_;
}

size_t ClipJobs::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void ClipJobs::work() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (queue_.empty()) {
      if (cv_.wait_for(lock, kSweepInterval) == std::cv_status::timeout) {
        lock.unlock();
        sweep();
        lock.lock();
      }
      continue;
    }
    const std::string id = queue_.front();
    queue_.pop_front();
    const auto it = jobs_.find(id);
    if (it == jobs_.end()) continue;
    const std::shared_ptr<ClipJob> job = it->second.job;
    ++running_;
    lock.unlock();

    spdlog::info("clip {}: processing", id);
    job->run();
    const ClipProgress p = job->progress();
    std::error_code ec;
    fs::remove(job->options().input, ec);  // no longer needed, whatever the outcome
    if (p.state == ClipState::Completed)
      spdlog::info("clip {}: completed, {} frames at {:.1f} fps", id, p.framesDone, p.fps);
    else
      spdlog::info("clip {}: {}{}{}", id, toString(p.state), p.error.empty() ? "" : ": ", p.error);

    lock.lock();
    --running_;
    const auto done = jobs_.find(id);
    if (done == jobs_.end()) {
      // Removed while running: nobody will ask for the result.
      fs::remove(job->options().output, ec);
      continue;
    }
    done->second.info.finishedAt = unixNow();
    const ClipInfo info = infoLocked(done->second);
    const OnFinished onFinished = done->second.onFinished;
    lock.unlock();
    if (onFinished) onFinished(info);
    lock.lock();
  }
}

}  // namespace cs
