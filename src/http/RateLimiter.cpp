#include "http/RateLimiter.h"

#include <algorithm>
#include <cmath>

namespace cs::http {
namespace {
// The table is bounded: a spoofing-free TCP peer needs a real address per entry, but a client
// with a /64 of IPv6 addresses has many. Full buckets carry no state worth keeping.
constexpr size_t kMaxAddresses = 65536;
}  // namespace

RateLimiter::RateLimiter(double ratePerSecond, double burst)
    : rate_(ratePerSecond), burst_(std::max(1.0, burst)) {}

bool RateLimiter::allow(const std::string& address, int& retryAfter) {
  if (rate_ <= 0) return true;
  const auto now = Clock::now();
  std::lock_guard lock(mu_);
  if (buckets_.size() >= kMaxAddresses) purgeLocked(now);
  auto [it, fresh] = buckets_.try_emplace(address, Bucket{burst_, now});
  Bucket& b = it->second;
  if (!fresh) {
    const double elapsed = std::chrono::duration<double>(now - b.updated).count();
    b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
    b.updated = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return true;
  }
  retryAfter = std::max(1, static_cast<int>(std::ceil((1.0 - b.tokens) / rate_)));
  return false;
}

void RateLimiter::purgeLocked(Clock::time_point now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    const double elapsed = std::chrono::duration<double>(now - it->second.updated).count();
    if (it->second.tokens + elapsed * rate_ >= burst_)
      it = buckets_.erase(it);
    else
      ++it;
  }
  // Still full: every address is mid-burst. Forget them all rather than grow without bound.
  if (buckets_.size() >= kMaxAddresses) buckets_.clear();
}

}  // namespace cs::http
