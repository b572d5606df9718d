#pragma once
// HTTP answers by status class (1xx … 5xx), counted where the server writes them, for /metrics.
// One per process, as a Prometheus client library's default registry: the server counts into it
// and /metrics reads it, and neither needs the other. Relaxed atomics: a count, not an order.
#include <array>
#include <atomic>
#include <cstdint>

namespace cs::http {

class ResponseCounts {
 public:
  void count(int status) noexcept {
    if (status >= 100 && status < 600)
      byClass_[static_cast<size_t>(status / 100 - 1)].fetch_add(1, std::memory_order_relaxed);
  }
  // `statusClass`: 1 … 5.
  uint64_t get(int statusClass) const noexcept {
    if (statusClass < 1 || statusClass > 5) return 0;
    return byClass_[static_cast<size_t>(statusClass - 1)].load(std::memory_order_relaxed);
  }

 private:
  std::array<std::atomic<uint64_t>, 5> byClass_{};
};

// This process's counts.
ResponseCounts& responseCounts();

}  // namespace cs::http
