#include "util/Utf8.h"

#include <gtest/gtest.h>

namespace cs {

TEST(Utf8, AcceptsWellFormedText) {
  EXPECT_TRUE(isValidUtf8(""));
  EXPECT_TRUE(isValidUtf8("plain ascii"));
  EXPECT_TRUE(isValidUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x8E\xA5"));  // é € 🎥
}

TEST(Utf8, RefusesMalformedText) {
  EXPECT_FALSE(isValidUtf8("\xFF"));
  EXPECT_FALSE(isValidUtf8("a\x80"));             // stray continuation byte
  EXPECT_FALSE(isValidUtf8("\xC3"));              // truncated
  EXPECT_FALSE(isValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(isValidUtf8("\xE0\x80\xAF"));      // overlong, 3 bytes
  EXPECT_FALSE(isValidUtf8("\xED\xA0\x80"));      // UTF-16 surrogate
  EXPECT_FALSE(isValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
}

TEST(Utf8, SafeIdentifiersHaveNoControlCharacters) {
  EXPECT_TRUE(isSafeIdentifier("default", 256));
  EXPECT_TRUE(isSafeIdentifier("cam\xC3\xA9ra 1", 256));
  EXPECT_FALSE(isSafeIdentifier("", 256));
  EXPECT_FALSE(isSafeIdentifier("a\r\nb", 256));
  EXPECT_FALSE(isSafeIdentifier("a\x7F", 256));
  EXPECT_FALSE(isSafeIdentifier("a\xC2\x85", 256));  // NEL, a C1 control
  EXPECT_FALSE(isSafeIdentifier("\xFF", 256));
  EXPECT_FALSE(isSafeIdentifier(std::string(257, 'a'), 256));
}

}  // namespace cs
