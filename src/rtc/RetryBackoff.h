#pragma once
// Exponential back-off with jitter for reconnecting a push: 1 s, 2 s, 4 s … up to a cap, each
// delay drawn uniformly from its upper half ("equal jitter"), so pushes that failed together (a
// remote server restarting) do not all come back in the same instant, and none waits less than
// half its step. A success resets the step.
#include <algorithm>
#include <chrono>
#include <functional>
#include <random>

namespace cs {

class RetryBackoff {
 public:
  using Duration = std::chrono::milliseconds;
  // `uniform` returns a number in [0, 1): tests pass a fixed one.
  explicit RetryBackoff(Duration initial = std::chrono::seconds(1),
                        Duration cap = std::chrono::seconds(30),
                        std::function<double()> uniform = {})
      : initial_(initial), cap_(cap), uniform_(std::move(uniform)) {
    if (!uniform_)
      uniform_ = [] {
        thread_local std::mt19937 gen{std::random_device{}()};
        return std::uniform_real_distribution<double>(0.0, 1.0)(gen);
      };
  }

  // The delay before the next attempt; at least `atLeast` (a server's Retry-After), never more
  // than the cap.
  Duration next(Duration atLeast = Duration(0)) {
    Duration step = initial_;
    for (unsigned i = 0; i < failures_ && step < cap_; ++i) step *= 2;
    step = std::min(step, cap_);
    ++failures_;
    const double u = std::clamp(uniform_(), 0.0, 1.0);
    const auto jittered = Duration(static_cast<Duration::rep>(step.count() * (0.5 + 0.5 * u)));
    return std::min(std::max(jittered, atLeast), cap_);
  }
  void reset() { failures_ = 0; }
  unsigned failures() const { return failures_; }

 private:
  const Duration initial_, cap_;
  std::function<double()> uniform_;
  unsigned failures_ = 0;
};

}  // namespace cs
