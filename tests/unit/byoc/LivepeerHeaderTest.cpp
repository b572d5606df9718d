#include "byoc/LivepeerHeader.h"

#include <gtest/gtest.h>

#include <vector>

#include "util/ControlError.h"

namespace cs {
namespace {

std::string header(const nlohmann::json& j) {
  return encodeBase64Std(j.dump());
}

nlohmann::json valid() {
  return {{"request", "{}"},
          {"parameters", R"({"orchestrators": {"exclude": []}})"},
          {"capability", "comfystream-video"},
          {"timeout_seconds", 30}};
}

std::string rejection(const std::string& value) {
  try {
    parseLivepeerHeader(value);
  } catch (const ControlError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadRequest);
    return e.what();
  }
  ADD_FAILURE() << "accepted: " << value;
  return "";
}

TEST(ByocBase64, RoundTripsEveryPaddingLength) {
  for (const std::string& s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba",
                                                       "foobar", std::string("\0\xff\x10", 3)}) {
    const auto enc = encodeBase64Std(s);
    EXPECT_EQ(enc.size() % 4, 0u);
    const auto dec = decodeBase64Std(enc);
    ASSERT_TRUE(dec) << enc;
    EXPECT_EQ(*dec, s);
  }
  EXPECT_EQ(encodeBase64Std("foobar"), "Zm9vYmFy");
  EXPECT_EQ(encodeBase64Std("fo"), "Zm8=");
}

TEST(ByocBase64, RejectsWhatGoStdEncodingRejects) {
  EXPECT_FALSE(decodeBase64Std("Zm8"));       // unpadded
  EXPECT_FALSE(decodeBase64Std("Zm8=Zm8="));  // padding in the middle
  EXPECT_FALSE(decodeBase64Std("Z==="));      // too much padding
  EXPECT_FALSE(decodeBase64Std("Zm-_"));      // URL-safe alphabet
  EXPECT_FALSE(decodeBase64Std("Zm9="));      // non-zero bits under the padding
  EXPECT_FALSE(decodeBase64Std("Zm 8="));
}

TEST(ByocLivepeerHeader, ParsesTheGatewayShape) {
  auto j = valid();
  j["id"] = "job-1";
  j["sender"] = "0xabc";
  j["sig"] = "0x00";
  const auto job = parseLivepeerHeader(header(j));
  EXPECT_EQ(job.capability, "comfystream-video");
  EXPECT_EQ(job.timeoutSeconds, 30);
  EXPECT_EQ(job.request, nlohmann::json::object());
  EXPECT_TRUE(job.parameters.contains("orchestrators"));
  EXPECT_EQ(job.id, "job-1");
}

TEST(ByocLivepeerHeader, ParametersMayBeAbsent) {
  auto j = valid();
  j.erase("parameters");
  EXPECT_EQ(parseLivepeerHeader(header(j)).parameters, nlohmann::json::object());
  // Surrounding blanks of a header value are not part of it.
  EXPECT_EQ(parseLivepeerHeader("  " + header(valid()) + " ").capability, "comfystream-video");
}

TEST(ByocLivepeerHeader, RejectsMalformedValues) {
  EXPECT_NE(rejection("").find("empty"), std::string::npos);
  EXPECT_NE(rejection("not base64!").find("base64"), std::string::npos);
  EXPECT_NE(rejection(encodeBase64Std("{nope")).find("not JSON"), std::string::npos);
  EXPECT_NE(rejection(encodeBase64Std("[1]")).find("object"), std::string::npos);

  struct Case {
    const char* field;
    nlohmann::json value;  // null = remove the field
    const char* says;
  };
  const Case cases[] = {
      {"capability", nullptr, "capability"},
      {"capability", "", "capability"},
      {"capability", 7, "capability"},
      {"timeout_seconds", nullptr, "timeout_seconds"},
      {"timeout_seconds", 0, "timeout_seconds"},
      {"timeout_seconds", -5, "timeout_seconds"},
      {"timeout_seconds", 1.5, "timeout_seconds"},
      {"timeout_seconds", "30", "timeout_seconds"},
      {"request", nullptr, "request"},
      {"request", "", "request"},
      {"request", "[]", "request"},
      {"request", nlohmann::json::object(), "request"},
      {"parameters", "{oops", "parameters"},
      {"parameters", 3, "parameters"},
      {"id", 3, "id"},
      {"sig", false, "sig"},
  };
  for (const auto& c : cases) {
    auto j = valid();
    if (c.value.is_null())
      j.erase(c.field);
    else
      j[c.field] = c.value;
    const std::string why = rejection(header(j));
    EXPECT_NE(why.find(c.says), std::string::npos) << c.field << "=" << c.value << ": " << why;
    EXPECT_NE(why.find("Livepeer header"), std::string::npos) << why;
  }
}

}  // namespace
}  // namespace cs
