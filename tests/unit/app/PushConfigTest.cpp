#include <gtest/gtest.h>

#include "ParseArgs.h"
#include "app/Config.h"

namespace cs {

TEST(PushConfig, PushesAreOffByDefault) {
  Config c;
  ASSERT_EQ(test::parseArgs({}, c).rc, -1);
  EXPECT_TRUE(c.pushAllow.empty());
  EXPECT_EQ(c.maxPushesPerStream, 8u);
}

TEST(PushConfig, PushAllowTakesHostPatterns) {
  Config c;
  ASSERT_EQ(
      test::parseArgs({"--push-allow", "127.0.0.1:8889,*.cdn.example", "--max-pushes", "2"}, c).rc,
      -1);
  EXPECT_TRUE(c.pushAllow.allows(*HttpUrl::parse("http://127.0.0.1:8889/whip")));
  EXPECT_FALSE(c.pushAllow.allows(*HttpUrl::parse("http://127.0.0.1:8888/whip")));
  EXPECT_TRUE(c.pushAllow.allows(*HttpUrl::parse("https://a.cdn.example/whip")));
  EXPECT_EQ(c.maxPushesPerStream, 2u);
}

TEST(PushConfig, ABadPatternStopsStartUp) {
  Config c;
  EXPECT_NE(test::parseArgs({"--push-allow", "http://x/"}, c).rc, -1);
  Config d;
  EXPECT_NE(test::parseArgs({"--max-pushes", "0"}, d).rc, -1);
}

}  // namespace cs
