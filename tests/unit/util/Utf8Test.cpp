#include "util/Utf8.h"

#include <gtest/gtest.h>

#include "util/LogEscape.h"

namespace cs {
namespace {

TEST(Utf8, AcceptsWellFormedText) {
  EXPECT_TRUE(isValidUtf8(""));
  EXPECT_TRUE(isValidUtf8("plain ascii"));
  EXPECT_TRUE(isValidUtf8("\xC3\xA9t\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x8E\xA5"));
}

TEST(Utf8, RefusesWhatRfc3629Forbids) {
  EXPECT_FALSE(isValidUtf8("\xff"));
  EXPECT_FALSE(isValidUtf8("\xC0\xAF"));          // overlong
  EXPECT_FALSE(isValidUtf8("\xE0\x80\xAF"));      // overlong
  EXPECT_FALSE(isValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(isValidUtf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(isValidUtf8("\xE2\x82"));          // truncated
  EXPECT_FALSE(isValidUtf8("a\x80"));             // stray continuation
}

TEST(LogEscape, EscapesLineBreaksAndInvalidBytes) {
  EXPECT_EQ(escapeForLog("a\r\nINFO forged"), "a\\x0d\\x0aINFO forged");
  EXPECT_EQ(escapeForLog("\xff"), "\\xff");
  EXPECT_EQ(escapeForLog("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(escapeForLog(std::string(1000, 'x'), 10).size(), 10 + std::string("…").size());
}

}  // namespace
}  // namespace cs
