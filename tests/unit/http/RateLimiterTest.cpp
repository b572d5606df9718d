#include "http/RateLimiter.h"

#include <gtest/gtest.h>

namespace cs::http {
namespace {

TEST(RateLimiter, AllowsTheBurstThenSaysWhenToRetry) {
  RateLimiter r(1, 3);
  int retry = 0;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(r.allow("1.2.3.4", retry));
  EXPECT_FALSE(r.allow("1.2.3.4", retry));
  EXPECT_GE(retry, 1);
  EXPECT_TRUE(r.allow("5.6.7.8", retry)) << "another address has its own bucket";
}

TEST(RateLimiter, ZeroRateIsOff) {
  RateLimiter r(0, 1);
  int retry = 0;
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(r.allow("a", retry));
}

}  // namespace
}  // namespace cs::http
