#include "byoc/ByocSession.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "byoc/Capability.h"
#include "http/ByocResource.h"

namespace cs {
namespace {

using S = SessionStatus;

TEST(ByocSession, StatusNamesRoundTrip) {
  for (S s : {S::Ready, S::Processing, S::Connected, S::Completed, S::Failed})
    EXPECT_EQ(parseSessionStatus(toString(s)), s);
  EXPECT_FALSE(parseSessionStatus("running"));
  for (Capability c : kAllCapabilities) EXPECT_EQ(parseCapability(capabilityName(c)), c);
  EXPECT_FALSE(parseCapability("comfystream"));
}

TEST(ByocSession, StatusMachine) {
  EXPECT_TRUE(canTransition(S::Ready, S::Processing));
  EXPECT_TRUE(canTransition(S::Processing, S::Ready));
  EXPECT_TRUE(canTransition(S::Connected, S::Completed));
  EXPECT_TRUE(canTransition(S::Ready, S::Failed));
  EXPECT_FALSE(canTransition(S::Connected, S::Processing));
  EXPECT_FALSE(canTransition(S::Ready, S::Connected));
  for (S to : {S::Ready, S::Processing, S::Connected, S::Completed, S::Failed}) {
    EXPECT_FALSE(canTransition(S::Completed, to));
    EXPECT_FALSE(canTransition(S::Failed, to));
  }
  ByocSession s;
  s.id = "x";
  s.transition(S::Processing, 2);
  EXPECT_EQ(s.updatedAt, 2);
  s.end(S::Completed, "expired", 3);
  EXPECT_TRUE(s.ended());
  EXPECT_EQ(*s.endedAt, 3);
  EXPECT_TRUE(s.error.empty());
  EXPECT_THROW(s.transition(S::Ready, 4), std::logic_error);
  EXPECT_THROW(s.end(S::Failed, "again", 4), std::logic_error);
}

TEST(ByocSession, JsonViewsHaveTheSeedsFields) {
  ByocSession s;
  s.id = "abc";
  s.capability = Capability::WhipIngest;
  s.status = S::Connected;
  s.createdAt = 1234567890;
  s.result = {
      {"sdp_answer", "v=0"}, {"session_id", "abc"}, {"ice_servers", nlohmann::json::array()}};
  EXPECT_EQ(s.jobResponse(),
            (nlohmann::json{{"session_id", "abc"}, {"status", "connected"}, {"result", s.result}}));
  auto st = s.statusJson();
  EXPECT_EQ(st["session_id"], "abc");
  EXPECT_EQ(st["capability"], "whip-ingest");
  EXPECT_EQ(st["status"], "connected");
  EXPECT_EQ(st["created_at"], 1234567890);
  EXPECT_EQ(st["result"], s.result);
  EXPECT_FALSE(st.contains("error"));
  EXPECT_FALSE(st.contains("ended_reason"));
  EXPECT_EQ(s.statsJson(), (nlohmann::json{{"created_at", 1234567890},
                                           {"capability", "whip-ingest"},
                                           {"status", "connected"},
                                           {"has_result", true},
                                           {"has_error", false}}));
  s.end(S::Failed, "media ended: the publisher never connected", 1234567899);
  st = s.statusJson();
  EXPECT_EQ(st["status"], "failed");
  EXPECT_EQ(st["error"], "media ended: the publisher never connected");
  EXPECT_EQ(st["ended_reason"], "media ended: the publisher never connected");
  EXPECT_EQ(st["ended_at"], 1234567899);
  EXPECT_EQ(s.statsJson()["has_error"], true);
}

TEST(ByocAuth, BearerToken) {
  EXPECT_TRUE(bearerMatches("", ""));
  EXPECT_TRUE(bearerMatches("anything", ""));
  EXPECT_TRUE(bearerMatches("Bearer s3cret", "s3cret"));
  EXPECT_TRUE(bearerMatches("bearer s3cret", "s3cret"));
  EXPECT_TRUE(bearerMatches("BEARER  s3cret ", "s3cret"));
  EXPECT_FALSE(bearerMatches("", "s3cret"));
  EXPECT_FALSE(bearerMatches("s3cret", "s3cret"));
  EXPECT_FALSE(bearerMatches("Basic s3cret", "s3cret"));
  EXPECT_FALSE(bearerMatches("Bearer s3cre", "s3cret"));
  EXPECT_FALSE(bearerMatches("Bearer s3cretX", "s3cret"));
}

}  // namespace
}  // namespace cs
