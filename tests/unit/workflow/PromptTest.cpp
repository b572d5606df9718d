// The original comfystream's test_utils.py cases for convert_prompt, plus request shapes.
#include "workflow/Prompt.h"

#include <gtest/gtest.h>

#include "workflow/WorkflowError.h"

namespace cs {
namespace {

using nlohmann::json;

std::string errorOf(const json& prompt) {
  try {
    convertPrompt(prompt);
  } catch (const WorkflowError& e) {
    EXPECT_EQ(e.type(), "invalid_prompt");
    return e.what();
  }
  return "";
}

json node(const std::string& type, json inputs = json::object()) {
  return {{"class_type", type}, {"inputs", inputs}};
}

TEST(ConvertPrompt, TooManyInputs) {
  EXPECT_EQ(errorOf({{"1", node("LoadImage")},
                     {"2", node("LoadImage")},
                     {"3", node("LoadAudioTensor")},
                     {"4", node("SaveTensor")}}),
            "too many inputs in prompt");
}

TEST(ConvertPrompt, TooManyOutputs) {
  EXPECT_EQ(errorOf({{"1", node("LoadTensor")},
                     {"2", node("SaveTensor")},
                     {"3", node("PreviewImage")},
                     {"4", node("SaveImage")},
                     {"5", node("SaveTextTensor")}}),
            "too many outputs in prompt");
}

TEST(ConvertPrompt, MissingInputAndOutput) {
  EXPECT_EQ(errorOf({{"1", node("PreviewImage")}}), "missing input");
  EXPECT_EQ(errorOf({{"1", node("LoadImage")}}), "missing output");
}

TEST(ConvertPrompt, TooManyPrimaryInputs) {
  EXPECT_EQ(errorOf({{"1", node("PrimaryInputLoadImage")},
                     {"2", node("PrimaryInputLoadImage")},
                     {"3", node("SaveTensor")}}),
            "too many primary inputs in prompt");
}

TEST(ConvertPrompt, LoadImageAndPreviewBecomeTensorNodes) {
  const json out = convertPrompt({{"1", node("LoadImage", {{"image", "example.png"}})},
                                  {"2", node("PreviewImage", {{"images", {"1", 0}}})}});
  EXPECT_EQ(out, (json{{"1",
                        {{"inputs", json::object()},
                         {"class_type", "LoadTensor"},
                         {"_meta", {{"title", "LoadTensor"}}}}},
                       {"2", {{"class_type", "SaveTensor"}, {"inputs", {{"images", {"1", 0}}}}}}}));
}

TEST(ConvertPrompt, PrimaryInputReplacedExtraLoadImageKept) {
  const json out = convertPrompt({{"1", node("PrimaryInputLoadImage", {{"image", "a.png"}})},
                                  {"2", node("LoadImage", {{"image", "face.png"}})},
                                  {"3", node("SaveImage", {{"images", {"1", 0}}})}});
  EXPECT_EQ(out["1"]["class_type"], "LoadTensor");
  EXPECT_EQ(out["2"]["class_type"], "LoadImage");
  EXPECT_EQ(out["3"]["class_type"], "SaveTensor");
}

TEST(ParsePrompts, OneWorkflowOrAList) {
  const json wf = {{"1", node("LoadTensor")}, {"2", node("SaveTensor", {{"images", {"1", 0}}})}};
  EXPECT_EQ(parsePrompts(wf).size(), 1u);
  EXPECT_EQ(parsePrompts(json::array({wf, wf})).size(), 2u);
}

TEST(ParsePrompts, MalformedShapesAreInvalidPrompt) {
  for (const json& bad : {json::array(), json("x"), json::object(), json{{"1", 5}},
                          json{{"1", {{"inputs", json::object()}}}},
                          json{{"1", {{"class_type", "LoadTensor"}, {"inputs", 3}}}}}) {
    EXPECT_THROW(parsePrompts(bad), WorkflowError) << bad.dump();
  }
}

}  // namespace
}  // namespace cs
