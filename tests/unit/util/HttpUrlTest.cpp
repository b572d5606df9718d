#include "util/HttpUrl.h"

#include <gtest/gtest.h>

namespace cs {
namespace {

HttpUrl url(const std::string& s) {
  std::string why;
  auto u = HttpUrl::parse(s, &why);
  EXPECT_TRUE(u) << s << ": " << why;
  return u.value_or(HttpUrl{});
}

std::string resolve(const std::string& base, const std::string& ref) {
  auto r = resolveReference(url(base), ref);
  return r ? r->str() : "<none>";
}

}  // namespace

TEST(HttpUrl, ParsesWhatAWhipEndpointLooksLike) {
  const auto u = url("HTTP://Media.Example.COM:8889/whip?streamId=a%2Fb");
  EXPECT_FALSE(u.https);
  EXPECT_EQ(u.host, "media.example.com");
  EXPECT_EQ(u.port, 8889);
  EXPECT_EQ(u.target, "/whip?streamId=a%2Fb");
  EXPECT_EQ(u.str(), "http://media.example.com:8889/whip?streamId=a%2Fb");
  EXPECT_EQ(url("https://h").port, 443);
  EXPECT_EQ(url("https://h").target, "/");
  EXPECT_EQ(url("http://h?x=1").target, "/?x=1");
  EXPECT_EQ(url("http://[::1]:8080/w").host, "::1");
  EXPECT_EQ(url("http://[::1]:8080/w").str(), "http://[::1]:8080/w");
}

TEST(HttpUrl, RefusesWhatCouldDisguiseOrSplitARequest) {
  for (const char* bad :
       {"", "/whip", "ftp://h/x", "http://", "http://:80/", "http://h:0/", "http://h:65536/",
        "http://h:8a/", "http://user:pw@h/", "http://h@evil/", "http://h/a b", "http://h/a\r\nX: y",
        "http://h/#frag", "http://h%2e/", "http://[::1/", "http://[zz]/", "http://h/\xc3\xa9",
        "javascript:alert(1)"}) {
    std::string why;
    EXPECT_FALSE(HttpUrl::parse(bad, &why)) << bad;
    EXPECT_FALSE(why.empty()) << bad;
  }
  EXPECT_FALSE(HttpUrl::parse("http://h/" + std::string(2048, 'a')));
  EXPECT_TRUE(HttpUrl::parse("http://h/" + std::string(2000, 'a')));
}

// RFC 3986 §5.4.1 and §5.4.2, the examples that apply to http URLs.
TEST(HttpUrl, ResolvesReferencesAsRfc3986Section5_4) {
  const std::string b = "http://a/b/c/d;p?q";
  EXPECT_EQ(resolve(b, "g"), "http://a/b/c/g");
  EXPECT_EQ(resolve(b, "./g"), "http://a/b/c/g");
  EXPECT_EQ(resolve(b, "g/"), "http://a/b/c/g/");
  EXPECT_EQ(resolve(b, "/g"), "http://a/g");
  EXPECT_EQ(resolve(b, "//g"), "http://g/");
  EXPECT_EQ(resolve(b, "?y"), "http://a/b/c/d;p?y");
  EXPECT_EQ(resolve(b, "g?y"), "http://a/b/c/g?y");
  EXPECT_EQ(resolve(b, ";x"), "http://a/b/c/;x");
  EXPECT_EQ(resolve(b, "g;x?y"), "http://a/b/c/g;x?y");
  EXPECT_EQ(resolve(b, ""), "http://a/b/c/d;p?q");
  EXPECT_EQ(resolve(b, "."), "http://a/b/c/");
  EXPECT_EQ(resolve(b, "./"), "http://a/b/c/");
  EXPECT_EQ(resolve(b, ".."), "http://a/b/");
  EXPECT_EQ(resolve(b, "../"), "http://a/b/");
  EXPECT_EQ(resolve(b, "../g"), "http://a/b/g");
  EXPECT_EQ(resolve(b, "../.."), "http://a/");
  EXPECT_EQ(resolve(b, "../../g"), "http://a/g");
  EXPECT_EQ(resolve(b, "../../../g"), "http://a/g");
  EXPECT_EQ(resolve(b, "/./g"), "http://a/g");
  EXPECT_EQ(resolve(b, "/../g"), "http://a/g");
  EXPECT_EQ(resolve(b, "g."), "http://a/b/c/g.");
  EXPECT_EQ(resolve(b, "..g"), "http://a/b/c/..g");
  EXPECT_EQ(resolve(b, "./../g"), "http://a/b/g");
  EXPECT_EQ(resolve(b, "g/./h"), "http://a/b/c/g/h");
  EXPECT_EQ(resolve(b, "g/../h"), "http://a/b/c/h");
  EXPECT_EQ(resolve(b, "g;x=1/../y"), "http://a/b/c/y");
}

TEST(HttpUrl, ResolvesWhipLocations) {
  const std::string ep = "http://127.0.0.1:8889/whip?streamId=x";
  EXPECT_EQ(resolve(ep, "/whip/abc"), "http://127.0.0.1:8889/whip/abc");
  EXPECT_EQ(resolve(ep, "whip/abc"), "http://127.0.0.1:8889/whip/abc");
  EXPECT_EQ(resolve(ep, "https://cdn.example/s/1"), "https://cdn.example/s/1");
  EXPECT_EQ(resolve("https://h:8443/a/whip", "sessions/1"), "https://h:8443/a/sessions/1");
  // A Location that is not an http(s) URL, or that carries userinfo, is not followed.
  EXPECT_EQ(resolve(ep, "ftp://h/x"), "<none>");
  EXPECT_EQ(resolve(ep, "//u@h/x"), "<none>");
  EXPECT_EQ(resolve(ep, "/a b"), "<none>");
}

}  // namespace cs
