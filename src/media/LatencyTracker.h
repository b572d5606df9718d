#pragma once
// Server-added latency: from a decoded frame's arrival to its encoded counterpart leaving the
// encoder, matched by running time (the pipeline carries it through processing). Fixed-size
// rings, so the media path allocates nothing; percentiles are computed when stats are read.
#include <gst/gst.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <vector>

#include "media/LatencyHistogram.h"

namespace cs {

class LatencyTracker {
 public:
  struct Summary {
    double p50Ms = 0, p95Ms = 0;
    size_t samples = 0;
  };

  void frameDecoded(GstClockTime runningTime) noexcept {
    std::lock_guard lock(mu_);
    pending_[next_ % pending_.size()] = {runningTime, nowNs()};
    ++next_;
  }

  void frameEncoded(GstClockTime runningTime) noexcept {
    const int64_t now = nowNs();
    std::lock_guard lock(mu_);
    for (auto& p : pending_) {
      if (p.runningTime != runningTime || p.arrivalNs == 0) continue;
      samples_[sampleCount_ % samples_.size()] = now - p.arrivalNs;
      ++sampleCount_;
      histogram_.observe(now - p.arrivalNs);  // every frame, for /metrics
      return;  // a second codec's copy of the same frame measures the same thing: keep the first
    }
  }

  Summary summary() const {
    std::vector<int64_t> v;
    {
      std::lock_guard lock(mu_);
      const size_t n = std::min(sampleCount_, samples_.size());
      v.assign(samples_.begin(), samples_.begin() + static_cast<long>(n));
    }
    Summary s;
    s.samples = v.size();
    if (v.empty()) return s;
    auto pct = [&](double q) {
      auto it = v.begin() + static_cast<long>(q * static_cast<double>(v.size() - 1));
      std::nth_element(v.begin(), it, v.end());
      return static_cast<double>(*it) / 1e6;
    };
    s.p50Ms = pct(0.50);
    s.p95Ms = pct(0.95);
    return s;
  }

  // A latency measured elsewhere (the trickle egress: a frame's input arrival → its TS packets
  // written), kept in the same window and histogram.
  void addSample(int64_t ns) noexcept {
    std::lock_guard lock(mu_);
    samples_[sampleCount_ % samples_.size()] = ns;
    ++sampleCount_;
    histogram_.observe(ns);
  }

  // Every frame's latency since the stream began, in fixed buckets (Prometheus /metrics).
  LatencyHistogram::Snapshot histogram() const noexcept { return histogram_.snapshot(); }

 private:
  struct Pending {
    GstClockTime runningTime = GST_CLOCK_TIME_NONE;
    int64_t arrivalNs = 0;
  };
  static int64_t nowNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

  mutable std::mutex mu_;
  std::array<Pending, 64> pending_{};
  size_t next_ = 0;
  std::array<int64_t, 600> samples_{};  // the last 20 s at 30 fps
  size_t sampleCount_ = 0;
  LatencyHistogram histogram_;
};

}  // namespace cs
