#include "http/ErrorResponse.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "http/WhipWhepResource.h"

namespace cs {
namespace {

TEST(ErrorResponse, BodyIsJsonWithTheStatus) {
  httplib::Response res;
  writeError(res, ErrorKind::Unprocessable, "no codec");
  EXPECT_EQ(res.status, 422);
  const auto j = nlohmann::json::parse(res.body);
  EXPECT_EQ(j["error"], "no codec");
  EXPECT_EQ(j["status_code"], 422);
  EXPECT_EQ(res.get_header_value("Content-Type"), "application/json");
}

TEST(ErrorResponse, RetryableErrorsSayWhenToRetry) {
  httplib::Response noPublisher, full;
  writeError(noPublisher, ErrorKind::NoPublisher, "x");
  writeError(full, ErrorKind::Capacity, "x");
  EXPECT_EQ(noPublisher.status, 409);
  EXPECT_FALSE(noPublisher.get_header_value("Retry-After").empty());
  EXPECT_EQ(full.status, 503);
  EXPECT_FALSE(full.get_header_value("Retry-After").empty());
}

TEST(ErrorResponse, MediaTypeIgnoresParametersAndCase) {
  EXPECT_EQ(mediaType("Application/SDP; charset=utf-8"), "application/sdp");
  EXPECT_EQ(mediaType(""), "");
}

}  // namespace
}  // namespace cs
