#pragma once
// Per-client-address token buckets for state-changing requests (POST/PATCH/DELETE): past the
// burst, a client gets 429 + Retry-After (RFC 6585 §4) instead of a share of the workers.
#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace cs::http {

class RateLimiter {
 public:
  // ratePerSecond == 0 turns limiting off.
  RateLimiter(double ratePerSecond, double burst);

  // Takes one token for `address`; false when the bucket is empty. `retryAfter` is then the
  // whole seconds until a token is back.
  bool allow(const std::string& address, int& retryAfter);

 private:
  using Clock = std::chrono::steady_clock;
  struct Bucket {
    double tokens;
    Clock::time_point updated;
  };
  void purgeLocked(Clock::time_point now);

  const double rate_, burst_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace cs::http
