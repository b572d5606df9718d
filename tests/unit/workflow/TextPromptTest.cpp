// Issue 9: the BYOC seed's text prompts ({text, weight}) are prompt text, not workflows.
#include "workflow/TextPrompt.h"

#include <gtest/gtest.h>

#include "util/ControlError.h"

namespace cs {
namespace {

using nlohmann::json;

TEST(TextPrompt, RecognisesOnlyTextAndWeight) {
  EXPECT_TRUE(isTextPrompt(json{{"text", "a beautiful sunset"}, {"weight", 1.0}}));
  EXPECT_TRUE(isTextPrompt(json{{"text", "no weight"}}));
  EXPECT_FALSE(isTextPrompt(json{{"text", "x"}, {"weight", "heavy"}}));
  EXPECT_FALSE(isTextPrompt(json{{"text", "x"}, {"class_type", "LoadTensor"}}));
  EXPECT_FALSE(isTextPrompt(json{{"1", {{"class_type", "LoadTensor"}}}}));  // a workflow
  EXPECT_FALSE(isTextPrompt(json::object()));
}

TEST(TextPrompt, SplitsTextFromWorkflows) {
  const json wf = {{"1", {{"class_type", "LoadTensor"}, {"inputs", json::object()}}}};
  auto parts = splitTextPrompts(json::parse(R"([{"text": "a beautiful sunset", "weight": 1.0}])"),
                                "prompts");
  ASSERT_EQ(parts.texts.size(), 1u);
  EXPECT_EQ(parts.texts[0].text, "a beautiful sunset");
  EXPECT_TRUE(parts.workflows.is_null());  // text only: no workflow given

  parts = splitTextPrompts(json::array({wf, {{"text", "b"}, {"weight", 0.5}}}), "prompts");
  EXPECT_EQ(parts.workflows, json::array({wf}));
  ASSERT_EQ(parts.texts.size(), 1u);
  EXPECT_EQ(parts.texts[0].weight, 0.5);

  parts = splitTextPrompts(wf, "prompts");
  EXPECT_EQ(parts.workflows, wf);
  EXPECT_TRUE(parts.texts.empty());
}

TEST(TextPrompt, BoundsAreBadRequestsNamingTheField) {
  const auto refused = [](const json& j) {
    try {
      splitTextPrompts(j, "input.prompts");
    } catch (const ControlError& e) {
      EXPECT_EQ(e.kind(), ErrorKind::BadRequest);
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(refused(json::array({{{"text", ""}}})).find("input.prompts[].text"), std::string::npos);
  EXPECT_NE(
      refused(json::array({{{"text", std::string(kMaxTextPromptBytes + 1, 'x')}}})).find("bytes"),
      std::string::npos);
  EXPECT_NE(refused(json::array({{{"text", "bad\xff"}}})).find("UTF-8"), std::string::npos);
  EXPECT_NE(refused(json::array({{{"text", "x"}, {"weight", 11}}})).find("weight"),
            std::string::npos);
  json many = json::array();
  for (size_t i = 0; i <= kMaxTextPrompts; ++i) many.push_back({{"text", "x"}});
  EXPECT_NE(refused(many).find("more than"), std::string::npos);
}

TEST(TextPrompt, CombinesWithComfyUIEmphasis) {
  EXPECT_EQ(combinedText({{"a beautiful sunset", 1.0}}), "a beautiful sunset");
  EXPECT_EQ(combinedText({{"a", 1.0}, {"soft light", 0.5}, {"b", 1.3}}),
            "a, (soft light:0.5), (b:1.3)");
  EXPECT_EQ(toJson({{"a", 1.0}}), json::parse(R"([{"text": "a", "weight": 1.0}])"));
}

TEST(TextPrompt, BindsLiteralTextInputsOnly) {
  json wf = {{"6", {{"class_type", "CLIPTextEncode"}, {"inputs", {{"text", "old"}}}}},
             {"7", {{"class_type", "CLIPTextEncode"}, {"inputs", {{"text", {"6", 0}}}}}},
             {"8", {{"class_type", "Other"}, {"inputs", {{"prompt", "old"}, {"seed", 1}}}}}};
  EXPECT_EQ(bindTextInputs(wf, "new"), 2u);
  EXPECT_EQ(wf["6"]["inputs"]["text"], "new");
  EXPECT_EQ(wf["7"]["inputs"]["text"], json::array({"6", 0}));  // a link stays a link
  EXPECT_EQ(wf["8"]["inputs"]["prompt"], "new");
  json list = json::array({wf, wf});
  EXPECT_EQ(bindTextInputs(list, "x"), 4u);
}

}  // namespace
}  // namespace cs
