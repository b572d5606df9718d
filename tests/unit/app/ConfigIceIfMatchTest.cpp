#include <gtest/gtest.h>

#include "ParseArgs.h"
#include "app/Config.h"

namespace cs {
namespace {

// RFC 9725 §4.3.1: strict (428 without If-Match) unless asked otherwise.
TEST(ConfigIceIfMatch, StrictByDefaultLenientOnRequest) {
  Config c;
  ASSERT_EQ(test::parseArgs({}, c).rc, -1);
  EXPECT_EQ(c.iceIfMatch, IfMatchPolicy::Strict);
  Config l;
  ASSERT_EQ(test::parseArgs({"--ice-if-match", "lenient"}, l).rc, -1);
  EXPECT_EQ(l.iceIfMatch, IfMatchPolicy::Lenient);
  Config s;
  ASSERT_EQ(test::parseArgs({"--ice-if-match", "STRICT"}, s).rc, -1);
  EXPECT_EQ(s.iceIfMatch, IfMatchPolicy::Strict);
}

TEST(ConfigIceIfMatch, OtherValuesStopStartUp) {
  Config c;
  const auto r = test::parseArgs({"--ice-if-match", "sometimes"}, c);
  EXPECT_NE(r.rc, -1);
  EXPECT_NE(r.stderrText.find("ice-if-match"), std::string::npos) << r.stderrText;
}

}  // namespace
}  // namespace cs
