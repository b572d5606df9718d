#pragma once
// One clip: a file in, every frame of it through a workflow, an MP4 (H.264, and AAC when the
// file has audio) out, with the source's timestamps, so frame count and duration are kept. Not
// live: no frame is dropped; the job waits for the encoder rather than skipping. run() does the
// whole job on the calling thread (ClipJobs' worker), at the clip niceness.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "clip/ClipSettings.h"
#include "workflow/FrameWorkflow.h"

namespace cs {

class ClipPipeline;

enum class ClipState { Queued, Processing, Completed, Failed, Cancelled };
const char* toString(ClipState s);
inline bool isFinal(ClipState s) {
  return s == ClipState::Completed || s == ClipState::Failed || s == ClipState::Cancelled;
}

struct ClipProgress {
  ClipState state = ClipState::Queued;
  uint64_t framesDone = 0;
  uint64_t framesTotal = 0;   // from the container's duration and frame rate; 0 when unknown
  double fps = 0;             // frames processed per second of wall time so far
  uint64_t framesFailed = 0;  // frames the workflow could not process (sent on unchanged)
  int width = 0, height = 0;  // of the decoded video
  bool hasAudio = false;
  double durationS = 0;  // of the processed video (the last frame's end)
  std::string error;     // Failed: why
};

class ClipJob {
 public:
  // Makes the workflow for the clip's decoded size (on the job thread, once the first frame is
  // decoded). A throw fails the job with its message.
  using MakeWorkflow = std::function<std::shared_ptr<FrameWorkflow>(int width, int height)>;

  struct Options {
    std::filesystem::path input, output;
    MakeWorkflow makeWorkflow;
    ClipLimits limits;
    int niceness = 0;
    int encoderThreads = 2;
  };

  explicit ClipJob(Options opts);
  ~ClipJob();

  // The whole job, on the calling thread; returns when it has completed, failed or been
  // cancelled. A failed or cancelled job leaves no output file. Never throws.
  void run() noexcept;
  // Any thread: a queued job will not start, a running one stops within a frame.
  void cancel() noexcept;

  ClipProgress progress() const;
  const Options& options() const { return opts_; }

 private:
  void process();
  void finish(ClipState state, const std::string& error = {});

  const Options opts_;
  std::atomic<bool> cancelled_{false};
  mutable std::mutex mu_;
  ClipProgress progress_;
  ClipPipeline* pipeline_ = nullptr;  // while running; guarded by mu_, for cancel()
  std::chrono::steady_clock::time_point startedAt_{};
};

}  // namespace cs
