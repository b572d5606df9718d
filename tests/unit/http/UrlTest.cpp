#include "http/Url.h"

#include <gtest/gtest.h>

namespace cs::http {
namespace {

TEST(Url, DecodesPathAndQuery) {
  std::string why;
  const auto t = parseTarget("/whip%2Fx?streamId=a%20b&workflow=in+vert&flag", why);
  ASSERT_TRUE(t) << why;
  EXPECT_EQ(t->path, "/whip/x");
  EXPECT_EQ(t->params.find("streamId")->second, "a b");
  EXPECT_EQ(t->params.find("workflow")->second, "in vert");
  EXPECT_EQ(t->params.find("flag")->second, "");
}

TEST(Url, RefusesInvalidUtf8AndControlCharacters) {
  std::string why;
  EXPECT_FALSE(parseTarget("/whip?streamId=%ff%fe", why));
  EXPECT_NE(why.find("UTF-8"), std::string::npos);
  EXPECT_FALSE(parseTarget("/whip?streamId=a%0d%0aInjected:%20yes", why));
  EXPECT_FALSE(parseTarget("/stream/%C0%AF/stats", why));  // overlong '/'
  EXPECT_FALSE(parseTarget("/whip?streamId=%zz", why));
  EXPECT_FALSE(parseTarget("/whip?streamId=%4", why));
  EXPECT_FALSE(parseTarget("http://example/whip", why));
  EXPECT_TRUE(parseTarget("/whip?streamId=%C3%A9t%C3%A9", why));
}

}  // namespace
}  // namespace cs::http
