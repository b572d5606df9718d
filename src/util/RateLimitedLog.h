#pragma once
// Media-path logging: at most one line per interval per call site, with the number of
// occurrences folded in, so a flood of bad packets cannot flood the log.
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdint>

namespace cs {

class LogLimiter {
 public:
  explicit LogLimiter(std::chrono::milliseconds interval = std::chrono::seconds(5))
      : intervalNs_(std::chrono::duration_cast<std::chrono::nanoseconds>(interval).count()) {}

  // Returns the number of suppressed events + 1 when a line may be written now, else 0.
  uint64_t admit() noexcept {
    const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::steady_clock::now().time_since_epoch())
                            .count();
    const uint64_t n = count_.fetch_add(1, std::memory_order_relaxed) + 1;
    int64_t last = lastNs_.load(std::memory_order_relaxed);
    if (now - last < intervalNs_) return 0;
    if (!lastNs_.compare_exchange_strong(last, now, std::memory_order_relaxed)) return 0;
    count_.fetch_sub(n, std::memory_order_relaxed);
    return n;
  }

 private:
  const int64_t intervalNs_;
  std::atomic<int64_t> lastNs_{INT64_MIN / 2};
  std::atomic<uint64_t> count_{0};
};

}  // namespace cs

#define CS_LOG_LIMITED(level, ...)                                    \
  do {                                                                \
    static ::cs::LogLimiter csLimiter_;                               \
    if (const auto csN_ = csLimiter_.admit())                         \
      spdlog::log(level, "{} (x{})", fmt::format(__VA_ARGS__), csN_); \
  } while (0)
