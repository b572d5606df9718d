#include "http/ConnectionLimiter.h"

#include <gtest/gtest.h>

namespace cs::http {
namespace {

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
