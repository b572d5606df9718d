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

TEST(ErrorResponse, MediaTypeIgnoresParametersAndCase) {
  EXPECT_EQ(mediaTypeOf("Application/SDP; charset=utf-8"), "application/sdp");
  EXPECT_EQ(mediaTypeOf(""), "");
}

}  // namespace
}  // namespace cs
