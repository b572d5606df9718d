#include "http/Router.h"

#include <gtest/gtest.h>

namespace cs::http {
namespace {

Router sample() {
  Router r;
  r.get("/a/([0-9]+)", [](const Request&, Response& res) { res.status = 201; });
  r.post("/a/([0-9]+)", [](const Request&, Response& res) { res.status = 202; });
  return r;
}

TEST(Router, MatchesMethodAndPathWithGroups) {
  const Router r = sample();
  auto m = r.find("POST", "/a/42");
  ASSERT_TRUE(m.handler);
  ASSERT_EQ(m.groups.size(), 2u);
  EXPECT_EQ(m.groups[1], "42");
}

TEST(Router, HeadFallsBackToGet) {
  const Router r = sample();
  EXPECT_TRUE(r.find("HEAD", "/a/1").handler);
}

TEST(Router, KnownPathOtherMethodIs405WithAllow) {
  const Router r = sample();
  auto m = r.find("DELETE", "/a/1");
  EXPECT_FALSE(m.handler);
  EXPECT_EQ(m.status, 405);
  EXPECT_EQ(m.allow, "GET, HEAD, OPTIONS, POST");
}

TEST(Router, APostRouteNamesWhatItTakesForAcceptPost) {
  Router r;
  const Handler ok = [](const Request&, Response&) {};
  r.post("(?:/live)?/in", ok, "application/sdp");
  r.post("/json", ok);
  r.get("/in/([a-z]+)", ok);
  EXPECT_EQ(r.acceptPost("/in"), "application/sdp");
  EXPECT_EQ(r.acceptPost("/live/in"), "application/sdp");
  EXPECT_EQ(r.acceptPost("/json"), "");    // declared nothing
  EXPECT_EQ(r.acceptPost("/in/abc"), "");  // no POST there
  EXPECT_EQ(r.acceptPost("/other/in"), "");
}

TEST(Router, UnknownPathIs404) {
  const Router r = sample();
  EXPECT_EQ(r.find("GET", "/b").status, 404);
  EXPECT_EQ(r.find("GET", "/a/x").status, 404);
}

}  // namespace
}  // namespace cs::http
