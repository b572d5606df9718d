// Issue 7: a workflow literal nested ~58,000 levels deep overflowed the stack in the graph
// compiler (recursive copies and dumps). The bounded parser refuses it before it is built.
#include "util/JsonLimits.h"

#include <gtest/gtest.h>

#include "util/ControlError.h"
#include "util/Utf8.h"

namespace cs {
namespace {

std::string nested(size_t depth, const std::string& inner = "1") {
  return std::string(depth, '[') + inner + std::string(depth, ']');
}

ControlError errorOf(std::string_view text) {
  try {
    parseJsonBounded(text);
  } catch (const ControlError& e) {
    return e;
  }
  ADD_FAILURE() << "parsed";
  return ControlError(ErrorKind::Internal, "");
}

}  // namespace

TEST(JsonLimits, ParsesOrdinaryDocuments) {
  const auto j =
      parseJsonBounded(R"({"1": {"class_type": "LoadTensor", "inputs": {"x": [[1, 2]]}}})");
  EXPECT_EQ(j["1"]["inputs"]["x"][0][1], 2);
  EXPECT_NO_THROW(parseJsonBounded(nested(kMaxJsonDepth)));
}

TEST(JsonLimits, RefusesDeepNestingBeforeBuildingIt) {
  const auto e = errorOf(nested(kMaxJsonDepth + 1));
  EXPECT_EQ(e.kind(), ErrorKind::BadRequest);
  EXPECT_NE(std::string(e.what()).find("nested deeper than 64"), std::string::npos);
  // The measured attack: ~58,000 levels in a ~116 KB body, inside a workflow input.
  const std::string attack =
      R"({"1": {"class_type": "LoadTensor", "inputs": {"x": )" + nested(58000) + "}}}";
  EXPECT_EQ(errorOf(attack).kind(), ErrorKind::BadRequest);
  std::string objects;
  for (int i = 0; i < 100; ++i) objects += "{\"a\":";
  objects += "1" + std::string(100, '}');
  EXPECT_EQ(errorOf(objects).kind(), ErrorKind::BadRequest);
}

TEST(JsonLimits, InvalidUtf8IsA400WithAReadableMessage) {
  const auto e = errorOf("{\"name\": \"\xFF\xFE\"}");
  EXPECT_EQ(e.kind(), ErrorKind::BadRequest);
  // The message goes into a JSON answer: it must itself be valid UTF-8, or dump() would throw.
  EXPECT_TRUE(isValidUtf8(e.what()));
  EXPECT_NO_THROW(nlohmann::json({{"error", e.what()}}).dump());
}

TEST(JsonLimits, RefusesOversizedDocuments) {
  EXPECT_EQ(errorOf(std::string(kMaxJsonBytes + 1, ' ')).kind(), ErrorKind::PayloadTooLarge);
}

TEST(JsonLimits, DepthOfBuiltValuesIsMeasuredWithoutRecursion) {
  EXPECT_EQ(jsonDepth(nlohmann::json(1)), 0u);
  EXPECT_EQ(jsonDepth(nlohmann::json::array()), 1u);
  EXPECT_EQ(jsonDepth(nlohmann::json::parse(nested(10))), 10u);
  // A deep value built in code: jsonDepth stops at limit + 1.
  nlohmann::json deep = 1;
  for (int i = 0; i < 200; ++i) deep = nlohmann::json::array({std::move(deep)});
  EXPECT_EQ(jsonDepth(deep, 64), 65u);
}

TEST(JsonLimits, SafeDumpNeverThrows) {
  const nlohmann::json j = {{"stream_id", std::string("bad\xFF")}};
  EXPECT_THROW(j.dump(), nlohmann::json::type_error);
  EXPECT_EQ(safeDump(j), "{\"stream_id\":\"bad\xEF\xBF\xBD\"}");
}

}  // namespace cs
