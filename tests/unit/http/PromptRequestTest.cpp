#include "http/PromptRequest.h"

#include <gtest/gtest.h>

#include "util/ControlError.h"

namespace cs::http {
namespace {

Request post(const std::string& body, const std::string& streamId = "") {
  Request r;
  r.body = body;
  if (!streamId.empty()) r.params.emplace("streamId", streamId);
  return r;
}

ErrorKind refusal(const Request& r, const Authorizer& a) {
  try {
    readPromptRequest(r, a);
  } catch (const ControlError& e) {
    return e.kind();
  }
  ADD_FAILURE() << "accepted";
  return ErrorKind::Internal;
}

TEST(PromptRequest, TheDefaultStreamAndBothBodyShapes) {
  const Authorizer open;
  const auto bare = readPromptRequest(post(R"({"1": {"class_type": "ImageInvert"}})"), open);
  EXPECT_EQ(bare.streamId, "default");
  EXPECT_EQ(bare.prompts, nlohmann::json::parse(R"({"1": {"class_type": "ImageInvert"}})"));
  const auto wrapped = readPromptRequest(post(R"({"prompts": [{"1": {}}, {"2": {}}]})", "s"), open);
  EXPECT_EQ(wrapped.streamId, "s");
  EXPECT_EQ(wrapped.prompts, nlohmann::json::parse(R"([{"1": {}}, {"2": {}}])"));
  EXPECT_EQ(refusal(post("{nope"), open), ErrorKind::BadRequest);
}

TEST(PromptRequest, TheStreamsPublishTokenOrTheAdminToken) {
  const Authorizer streams(AuthSettings{"secret", "", ""});
  EXPECT_EQ(refusal(post("{}", "s"), streams), ErrorKind::Unauthorized);
  Request withToken = post("{}", "s");
  withToken.headers.emplace("Authorization", "Bearer secret");
  EXPECT_EQ(readPromptRequest(withToken, streams).streamId, "s");

  const Authorizer adminOnly(AuthSettings{"", "", "admin"});
  EXPECT_EQ(refusal(post("{}"), adminOnly), ErrorKind::Unauthorized);
  Request admin = post("{}");
  admin.headers.emplace("Authorization", "Bearer admin");
  EXPECT_NO_THROW(readPromptRequest(admin, adminOnly));
}

}  // namespace
}  // namespace cs::http
