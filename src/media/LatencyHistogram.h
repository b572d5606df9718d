#pragma once
// A cumulative histogram of the server-added latency, for Prometheus (/metrics): fixed buckets,
// one relaxed atomic add per observation, nothing allocated and no lock, so it can sit on the
// encoder's streaming thread. LatencyTracker keeps a window for percentiles; this keeps every
// frame since the stream began (a Prometheus histogram is cumulative: rates come from scraping).
#include <array>
#include <atomic>
#include <cstdint>

namespace cs {

class LatencyHistogram {
 public:
  // Upper bounds in seconds. A pass-through frame takes a few ms, a model tens to hundreds; past
  // 2.5 s a frame is late by any measure (+Inf holds the rest).
  static constexpr std::array<double, 15> kBoundsSeconds{
      0.001, 0.0025, 0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5};
  static constexpr size_t kBuckets = kBoundsSeconds.size() + 1;  // the last one is +Inf

  void observe(int64_t ns) noexcept {
    if (ns < 0) ns = 0;
    size_t i = 0;
    while (i < kBoundsNs.size() && ns > kBoundsNs[i]) ++i;
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    sumNs_.fetch_add(static_cast<uint64_t>(ns), std::memory_order_relaxed);
  }

  // Per-bucket counts (not cumulative) and the sum. Read bucket by bucket while frames go on: a
  // snapshot may miss the latest observation in some bucket, never count one twice.
  struct Snapshot {
    std::array<uint64_t, kBuckets> counts{};
    double sumSeconds = 0;
    uint64_t count() const {
      uint64_t n = 0;
      for (auto c : counts) n += c;
      return n;
    }
  };
  Snapshot snapshot() const noexcept {
    Snapshot s;
    for (size_t i = 0; i < kBuckets; ++i) s.counts[i] = counts_[i].load(std::memory_order_relaxed);
    s.sumSeconds = static_cast<double>(sumNs_.load(std::memory_order_relaxed)) / 1e9;
    return s;
  }

 private:
  static constexpr std::array<int64_t, kBoundsSeconds.size()> kBoundsNs = [] {
    std::array<int64_t, kBoundsSeconds.size()> ns{};
    for (size_t i = 0; i < ns.size(); ++i)
      ns[i] = static_cast<int64_t>(kBoundsSeconds[i] * 1e9 + 0.5);
    return ns;
  }();

  std::array<std::atomic<uint64_t>, kBuckets> counts_{};
  std::atomic<uint64_t> sumNs_{0};
};

}  // namespace cs
