#pragma once
// A stream's video processor: its own worker thread takes the newest decoded frame, runs the
// stream's workflow on it and hands the result on. Two streams never share a worker or a frame.
// ("Pipeline" in this code base always means a GStreamer pipeline.)
#include <gst/video/video.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "media/FrameMailbox.h"
#include "workflow/FrameWorkflow.h"

namespace cs {

class VideoProcessor {
 public:
  // Receives each processed frame on the worker thread.
  using Output = std::function<void(BufferPtr, const GstVideoInfo&)>;
  // Receives text a workflow produced (SaveTextTensor), on the worker thread.
  using TextOutput = std::function<void(std::vector<std::string>&)>;

  VideoProcessor(const std::string& streamId, Output output, TextOutput text = {});
  ~VideoProcessor();
  VideoProcessor(const VideoProcessor&) = delete;
  VideoProcessor& operator=(const VideoProcessor&) = delete;

  // Ends the worker (joined): later frames are dropped. The figures stay readable, so a status
  // read racing the stream's end sees the last counts. Not concurrently with itself.
  void stop();

  // From the decoder's streaming thread; never blocks on processing.
  void submit(GstSample* sample) noexcept { mailbox_.put(sample); }
  void setWorkflow(std::shared_ptr<FrameWorkflow> wf) { workflow_.store(std::move(wf)); }
  // Paused: frames go to viewers unprocessed (the original's pause_prompts).
  void setPaused(bool paused) { paused_.store(paused, std::memory_order_relaxed); }
  bool paused() const { return paused_.load(std::memory_order_relaxed); }
  // The last frame the worker took, for warming up a new workflow on real content.
  SamplePtr lastInput() const;
  std::shared_ptr<FrameWorkflow> workflow() const { return workflow_.load(); }

  uint64_t framesProcessed() const { return processed_.load(std::memory_order_relaxed); }
  // Frames the worker never saw because a newer one replaced them (processing fell behind).
  uint64_t framesDropped() const { return mailbox_.dropped(); }
  // Frames the workflow produced nothing for (a node failed).
  uint64_t framesFailed() const { return failed_.load(std::memory_order_relaxed); }
  int width() const { return width_.load(std::memory_order_relaxed); }
  int height() const { return height_.load(std::memory_order_relaxed); }
  // Time spent in the workflow for the last frame, in microseconds.
  uint64_t lastProcessUs() const { return lastProcessUs_.load(std::memory_order_relaxed); }

 private:
  void run();
  void processOne(GstSample* sample) noexcept;
  void forward(GstBuffer* in, GstClockTime rt) noexcept;
  bool configureOutput(int width, int height) noexcept;

  Output output_;
  TextOutput text_;
  FrameMailbox mailbox_;
  std::atomic<std::shared_ptr<FrameWorkflow>> workflow_;
  // Worker-thread state: output buffers are recycled through a pool sized for the workflow's
  // output, so steady-state processing allocates nothing.
  GstCaps* inCaps_ = nullptr;
  GstVideoInfo inInfo_{};
  GstVideoInfo outInfo_{};
  GstBufferPool* pool_ = nullptr;
  std::vector<std::string> texts_;
  std::atomic<bool> paused_{false};
  mutable std::mutex lastMu_;
  SamplePtr last_;
  std::atomic<uint64_t> processed_{0}, failed_{0}, lastProcessUs_{0};
  std::atomic<int> width_{0}, height_{0};
  std::thread worker_;
};

}  // namespace cs
