#include <gtest/gtest.h>

#include "http/ConnectionLimiter.h"
#include "http/RateLimiter.h"

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

TEST(ConnectionLimiter, CapsPerAddressAndInTotalAndGivesSlotsBack) {
  ConnectionLimiter c(3, 2);
  ConnectionLimiter::Refusal why;
  auto a1 = c.acquire("a", why), a2 = c.acquire("a", why);
  ASSERT_TRUE(a1 && a2);
  EXPECT_FALSE(c.acquire("a", why));
  EXPECT_EQ(why, ConnectionLimiter::Refusal::Address);
  auto b1 = c.acquire("b", why);
  ASSERT_TRUE(b1);
  EXPECT_FALSE(c.acquire("c", why));
  EXPECT_EQ(why, ConnectionLimiter::Refusal::Total);
  a1.reset();
  EXPECT_EQ(c.open(), 2u);
  EXPECT_TRUE(c.acquire("a", why));
}

}  // namespace
}  // namespace cs::http
