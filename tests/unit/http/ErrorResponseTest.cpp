#include "http/ErrorResponse.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace cs {
namespace {

std::string headerOf(const http::Response& res, const std::string& name) {
  auto it = res.headers.find(name);
  return it == res.headers.end() ? "" : it->second;
}

TEST(ErrorResponse, BodyIsJsonWithTheStatus) {
  http::Response res;
  writeError(res, ErrorKind::Unprocessable, "no codec");
  EXPECT_EQ(res.status, 422);
  const auto j = nlohmann::json::parse(res.body);
  EXPECT_EQ(j["error"], "no codec");
  EXPECT_EQ(j["status_code"], 422);
  EXPECT_EQ(headerOf(res, "content-type"), "application/json");
}

TEST(ErrorResponse, RetryableErrorsSayWhenToRetry) {
  http::Response noPublisher, full, tooMany;
  writeError(noPublisher, ErrorKind::NoPublisher, "x");
  writeError(full, ErrorKind::Capacity, "x");
  writeError(tooMany, ErrorKind::TooManyRequests, "x");
  EXPECT_EQ(noPublisher.status, 409);
  EXPECT_FALSE(headerOf(noPublisher, "Retry-After").empty());
  EXPECT_EQ(full.status, 503);
  EXPECT_FALSE(headerOf(full, "Retry-After").empty());
  EXPECT_EQ(tooMany.status, 429);
  EXPECT_FALSE(headerOf(tooMany, "Retry-After").empty());
}

TEST(ErrorResponse, UnauthorizedNamesTheBearerScheme) {
  http::Response res;
  writeError(res, ErrorKind::Unauthorized, "x");
  EXPECT_EQ(res.status, 401);
  EXPECT_TRUE(headerOf(res, "WWW-Authenticate").starts_with("Bearer "));
}

TEST(ErrorResponse, InvalidUtf8InAMessageNeverThrows) {
  http::Response res;
  writeError(res, 400, std::string("bad \xff\xfe name"));
  const auto j = nlohmann::json::parse(res.body);
  EXPECT_EQ(j["status_code"], 400);
}

TEST(ErrorResponse, AWorkflowErrorInEitherShape) {
  const WorkflowError e("prompt_outputs_failed_validation", "node 3: bad input", "",
                        {{"3", {"Invert", {{"value_bigger_than_max", "too big", "", "x"}}}}});
  http::Response comfy;
  writeError(comfy, e);
  auto j = nlohmann::json::parse(comfy.body);
  EXPECT_EQ(comfy.status, 400);
  EXPECT_EQ(j["error"]["type"], "prompt_outputs_failed_validation");
  EXPECT_EQ(j["status_code"], 400);
  EXPECT_TRUE(j["node_errors"].contains("3"));

  http::Response message;
  writeError(message, e, WorkflowErrorShape::Message);
  j = nlohmann::json::parse(message.body);
  EXPECT_EQ(message.status, 400);
  EXPECT_EQ(j["error"], "invalid workflow: node 3: bad input");
  EXPECT_EQ(j["status_code"], 400);
  EXPECT_EQ(j["node_errors"], nlohmann::json::parse(comfy.body)["node_errors"]);

  http::Response bare;  // no node named: no node_errors
  writeError(bare, WorkflowError("invalid_prompt", "empty"), WorkflowErrorShape::Message);
  EXPECT_EQ(nlohmann::json::parse(bare.body),
            (nlohmann::json{{"error", "invalid workflow: empty"}, {"status_code", 400}}));
}

TEST(ErrorResponse, MediaTypeIgnoresParametersAndCase) {
  EXPECT_EQ(mediaTypeOf("Application/SDP; charset=utf-8"), "application/sdp");
  EXPECT_EQ(mediaTypeOf(""), "");
}

}  // namespace
}  // namespace cs
