#pragma once
// The original's stream stats: one FPS sample a second, the last 60 kept (a minute).
#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

namespace cs {

class FpsMeter {
 public:
  void frame() noexcept { frames_.fetch_add(1, std::memory_order_relaxed); }
  // Every frame counted since it was made (a Prometheus counter).
  uint64_t frames() const noexcept { return frames_.load(std::memory_order_relaxed); }

  // Once a second, from the main loop's timer.
  void sample(double unixTime) {
    const uint64_t n = frames_.load(std::memory_order_relaxed);
    std::lock_guard lock(mu_);
    if (lastTime_ > 0) {
      const double fps = static_cast<double>(n - lastFrames_) / (unixTime - lastTime_);
      samples_[count_ % samples_.size()] = {unixTime, fps};
      ++count_;
    }
    lastTime_ = unixTime;
    lastFrames_ = n;
  }

  struct Sample {
    double time = 0, fps = 0;
  };
  // The original's figures: the last sample, the minute's average, and the minute's samples.
  struct Snapshot {
    double timestamp = 0, fps = 0, minuteAvgFps = 0;
    std::vector<Sample> minute;
  };
  Snapshot snapshot() const {
    std::lock_guard lock(mu_);
    Snapshot out;
    const size_t n = std::min(count_, samples_.size());
    double sum = 0;
    out.minute.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      const auto& s = samples_[(count_ - n + i) % samples_.size()];
      out.minute.push_back(s);
      sum += s.fps;
    }
    out.timestamp = lastTime_;
    out.fps = n ? samples_[(count_ - 1) % samples_.size()].fps : 0.0;
    out.minuteAvgFps = n ? sum / static_cast<double>(n) : 0.0;
    return out;
  }

 private:
  std::atomic<uint64_t> frames_{0};
  mutable std::mutex mu_;
  std::array<Sample, 60> samples_{};
  size_t count_ = 0;
  double lastTime_ = 0;
  uint64_t lastFrames_ = 0;
};

}  // namespace cs
