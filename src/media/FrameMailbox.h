#pragma once
// A one-slot mailbox between a producer (the decoder's streaming thread) and the pipeline's
// worker: the newest frame replaces an unconsumed older one, which is counted as dropped. Latency
// stays bounded at one frame whatever the workflow costs.
#include <gst/gst.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "util/GstPtr.h"

namespace cs {

class FrameMailbox {
 public:
  // Takes a new reference to sample. Never blocks beyond the slot's mutex.
  void put(GstSample* sample) noexcept {
    GstSample* old = nullptr;
    {
      std::lock_guard lock(mu_);
      if (closed_) return;  // the taker is gone: holding the frame would only pin its buffer
      old = slot_;
      slot_ = gst_sample_ref(sample);
    }
    if (old) {
      gst_sample_unref(old);
      dropped_.fetch_add(1, std::memory_order_relaxed);
    }
    cv_.notify_one();
  }

  // Waits for a frame or close(); returns nullptr once closed.
  SamplePtr take() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return slot_ || closed_; });
    if (closed_) return nullptr;
    SamplePtr s(slot_);
    slot_ = nullptr;
    return s;
  }

  void close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
      if (slot_) gst_sample_unref(slot_);
      slot_ = nullptr;
    }
    cv_.notify_all();
  }

  ~FrameMailbox() {
    if (slot_) gst_sample_unref(slot_);
  }

  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  GstSample* slot_ = nullptr;
  bool closed_ = false;
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace cs
