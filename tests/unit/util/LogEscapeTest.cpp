#include "util/LogEscape.h"

#include <gtest/gtest.h>

#include "util/Utf8.h"

namespace cs {

TEST(LogSafe, EscapesControlsAndInvalidBytes) {
  EXPECT_EQ(logSafe("ok"), "ok");
  EXPECT_EQ(logSafe("evil\r\n[info] forged"), "evil\\r\\n[info] forged");
  EXPECT_EQ(logSafe("a\\b"), "a\\\\b");
  EXPECT_EQ(logSafe("\xFF\x01"), "\\xFF\\x01");
  EXPECT_EQ(logSafe("\xE2\x80\xAE"), "\\u{202E}");  // right-to-left override
  EXPECT_EQ(logSafe("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_TRUE(isValidUtf8(logSafe("\xC3\x28\xA0\xA1\xE2\x28\xA1")));
}

TEST(LogSafe, CapsTheLength) {
  const std::string out = logSafe(std::string(1000, 'x'), 50);
  EXPECT_LE(out.size(), 50u + 20u);
  EXPECT_NE(out.find("(+950 bytes)"), std::string::npos);
}

}  // namespace cs
