#include "util/EntityTag.h"

#include <gtest/gtest.h>

#include <set>

namespace cs {

// RFC 9725 §4.3.1: a unique strong entity-tag — quoted, never weak, a fresh one each time.
TEST(EntityTag, NewTagsAreStrongQuotedAndUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string tag = newStrongEtag();
    ASSERT_EQ(tag.size(), 34u) << tag;
    EXPECT_EQ(tag.front(), '"');
    EXPECT_EQ(tag.back(), '"');
    EXPECT_EQ(tag.find_first_not_of("0123456789abcdef", 1), 33u) << tag;
    EXPECT_TRUE(seen.insert(tag).second) << "repeated " << tag;
  }
}

TEST(EntityTag, MissingHeaderIsMissing) {
  EXPECT_EQ(evaluateIfMatch(std::nullopt, "\"abc\""), IfMatchResult::Missing);
}

TEST(EntityTag, CurrentTagMatchesStrongly) {
  EXPECT_EQ(evaluateIfMatch("\"abc\"", "\"abc\""), IfMatchResult::Matches);
  EXPECT_EQ(evaluateIfMatch(" \"abc\" ", "\"abc\""), IfMatchResult::Matches);
  EXPECT_EQ(evaluateIfMatch("\"old\", \"abc\"", "\"abc\""), IfMatchResult::Matches);
  // Weak comparison is not allowed for If-Match (RFC 9110 §13.1.1).
  EXPECT_EQ(evaluateIfMatch("W/\"abc\"", "\"abc\""), IfMatchResult::Fails);
  EXPECT_EQ(evaluateIfMatch("abc", "\"abc\""), IfMatchResult::Fails);
  EXPECT_EQ(evaluateIfMatch("\"other\"", "\"abc\""), IfMatchResult::Fails);
  EXPECT_EQ(evaluateIfMatch("", "\"abc\""), IfMatchResult::Fails);
}

// RFC 9110's wildcard is a bare *, the WHIP/WHEP drafts quote it: both match (checklist row 31).
TEST(EntityTag, BothWildcardsMatch) {
  EXPECT_EQ(evaluateIfMatch("*", "\"abc\""), IfMatchResult::Matches);
  EXPECT_EQ(evaluateIfMatch("\"*\"", "\"abc\""), IfMatchResult::Matches);
}

}  // namespace cs
