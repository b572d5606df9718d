#pragma once
// When each frame of a trickle stream arrived, for the worker latency: the ingest records, as it
// demuxes a video frame, the frame's running time on the stream's clock and the steady-clock
// time; the egress looks the frame up by the same running time when it writes the frame out
// (the running time travels unchanged through decode, workflow and encode: docs §G13). Bounded:
// a ring of the latest entries, so frames the workflow or the pacer dropped age out by
// themselves. Thread-safe; a short lock per call, nothing allocated after construction.
#include <gst/gst.h>

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <vector>

namespace cs::trickle {

class FrameArrivals {
 public:
  using Clock = std::chrono::steady_clock;
  // Two seconds of 60 fps video: a frame still in the workflow after that is late by any measure.
  static constexpr size_t kDefaultCapacity = 128;
  // Running times match exactly when nothing rounds them; this covers a rounding on the way.
  static constexpr GstClockTime kTolerance = GST_MSECOND;

  explicit FrameArrivals(size_t capacity = kDefaultCapacity)
      : entries_(capacity > 0 ? capacity : 1) {}

  void record(GstClockTime runningTime, Clock::time_point arrivedAt) noexcept {
    if (!GST_CLOCK_TIME_IS_VALID(runningTime)) return;
    std::lock_guard lock(mu_);
    entries_[next_] = Entry{runningTime, arrivedAt, true};
    next_ = (next_ + 1) % entries_.size();
  }

  // The arrival of the frame at runningTime (within kTolerance), once: the entry is consumed.
  std::optional<Clock::time_point> take(GstClockTime runningTime) noexcept {
    if (!GST_CLOCK_TIME_IS_VALID(runningTime)) return std::nullopt;
    std::lock_guard lock(mu_);
    for (auto& e : entries_) {
      if (!e.used) continue;
      const GstClockTime d =
          e.runningTime > runningTime ? e.runningTime - runningTime : runningTime - e.runningTime;
      if (d <= kTolerance) {
        e.used = false;
        return e.arrivedAt;
      }
    }
    return std::nullopt;
  }

 private:
  struct Entry {
    GstClockTime runningTime = GST_CLOCK_TIME_NONE;
    Clock::time_point arrivedAt{};
    bool used = false;
  };
  std::mutex mu_;
  std::vector<Entry> entries_;
  size_t next_ = 0;
};

}  // namespace cs::trickle
