#include "byoc/JobRequest.h"

#include <gtest/gtest.h>

#include "util/ControlError.h"
#include "workflow/Prompt.h"

namespace cs {
namespace {

using nlohmann::json;

const json kInvert = {{"1", {{"class_type", "LoadTensor"}, {"inputs", json::object()}}},
                      {"2", {{"class_type", "ImageInvert"}, {"inputs", {{"image", {"1", 0}}}}}},
                      {"3", {{"class_type", "SaveTensor"}, {"inputs", {{"images", {"2", 0}}}}}}};

template <typename F>
std::string rejection(F&& f) {
  try {
    f();
  } catch (const ControlError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadRequest);
    return e.what();
  }
  ADD_FAILURE() << "accepted";
  return "";
}

TEST(ByocJobRequest, BodyMustBeAJsonObject) {
  EXPECT_NE(rejection([] { parseJsonObject(""); }).find("empty"), std::string::npos);
  EXPECT_NE(rejection([] { parseJsonObject("{"); }).find("invalid JSON"), std::string::npos);
  EXPECT_NE(rejection([] { parseJsonObject("[1]"); }).find("object"), std::string::npos);
  EXPECT_EQ(parseJsonObject(R"({"a": 1})")["a"], 1);
}

TEST(ByocJobRequest, VideoDefaultsAndTheSeedsPlaceholder) {
  // The seed's request: "prompts": [{}] (a placeholder) → the default passthrough workflow.
  auto r = parseVideoJob(json::parse(R"({"input": {"prompts": [{}], "width": 512, "height": 512},
                                         "workspace": "/workspace/ComfyUI"})"));
  EXPECT_EQ(r.prompts, defaultPrompt());
  EXPECT_EQ(r.width, 512);
  r = parseVideoJob(json::parse(R"({"input": {}})"));
  EXPECT_EQ(r.prompts, defaultPrompt());
  EXPECT_EQ(r.width, 512);
  EXPECT_EQ(r.height, 512);
  r = parseVideoJob(json{{"input",
                          {{"prompts", json::array({kInvert})},
                           {"width", 640},
                           {"height", 360},
                           {"media_data", "AAAA"}}}});
  EXPECT_EQ(r.prompts, json::array({kInvert}));
  EXPECT_EQ(r.width, 640);
  EXPECT_EQ(r.height, 360);
  // One workflow object is accepted as is.
  EXPECT_EQ(parseVideoJob(json{{"input", {{"prompts", kInvert}}}}).prompts, kInvert);
}

// Issue 9: the seed's curl example and whip-ingest request carry text prompts.
TEST(ByocJobRequest, TheSeedsTextPromptsRunTheDefaultWorkflow) {
  auto r = parseVideoJob(json::parse(R"({"input": {
      "prompts": [{"text": "a beautiful sunset", "weight": 1.0}], "width": 512, "height": 512}})"));
  EXPECT_EQ(r.prompts, defaultPrompt());
  ASSERT_EQ(r.texts.size(), 1u);
  EXPECT_EQ(r.texts[0].text, "a beautiful sunset");
  auto w = parseWhipJob(json::parse(R"({"sdp_offer": "v=0",
      "prompts": [{"text": "processing prompt", "weight": 1.0}], "width": 512, "height": 512})"));
  EXPECT_EQ(w.prompts, defaultPrompt());
  ASSERT_EQ(w.texts.size(), 1u);
  // Beside a workflow, the text goes into its text inputs.
  json wf = kInvert;
  wf["4"] = {{"class_type", "CLIPTextEncode"}, {"inputs", {{"text", ""}}}};
  r = parseVideoJob(json{{"input", {{"prompts", json::array({wf, {{"text", "dusk"}}})}}}});
  ASSERT_TRUE(r.prompts.is_array());
  ASSERT_EQ(r.prompts.size(), 1u);
  EXPECT_EQ(r.prompts[0]["4"]["inputs"]["text"], "dusk");
  EXPECT_NE(rejection([] {
              parseVideoJob(json::parse(R"({"input": {"prompts": [{"text": ""}]}})"));
            }).find("input.prompts[].text"),
            std::string::npos);
}

TEST(ByocJobRequest, VideoRejectsBadFields) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({})", "'input' is missing"},
      {R"({"input": "x"})", "'input' must be an object"},
      {R"({"input": {}, "workspace": 3})", "'workspace'"},
      {R"({"input": {"prompts": "x"}})", "'input.prompts'"},
      {R"({"input": {"prompts": [1]}})", "'input.prompts'"},
      {R"({"input": {"width": "512"}})", "'input.width' must be an integer"},
      {R"({"input": {"width": 512.5}})", "'input.width' must be an integer"},
      {R"({"input": {"height": 8}})", "'input.height' must be within"},
      {R"({"input": {"height": 100000}})", "'input.height' must be within"},
      {R"({"input": {"media_data": 5}})", "'input.media_data'"},
  };
  for (const auto& [body, says] : cases) {
    const auto why = rejection([&b = body] { parseVideoJob(json::parse(b)); });
    EXPECT_NE(why.find(says), std::string::npos) << body << ": " << why;
  }
}

TEST(ByocJobRequest, WhipIngest) {
  auto r = parseWhipJob(json{{"sdp_offer", "v=0\r\n"},
                             {"prompts", json::array({kInvert})},
                             {"width", 320},
                             {"height", 240}});
  EXPECT_EQ(r.sdpOffer, "v=0\r\n");
  EXPECT_EQ(r.prompts, json::array({kInvert}));
  EXPECT_EQ(r.width, 320);
  EXPECT_EQ(r.height, 240);
  r = parseWhipJob(json{{"sdp_offer", "v=0"}});
  EXPECT_EQ(r.prompts, defaultPrompt());
  EXPECT_EQ(r.width, 512);
  const std::pair<json, const char*> cases[] = {
      {json::object(), "'sdp_offer' is missing"},
      {json{{"sdp_offer", 1}}, "'sdp_offer' must be a string"},
      {json{{"sdp_offer", " \r\n"}}, "'sdp_offer' is empty"},
      {json{{"sdp_offer", "v=0"}, {"prompts", 3}}, "'prompts'"},
      {json{{"sdp_offer", "v=0"}, {"width", true}}, "'width'"},
  };
  for (const auto& [body, says] : cases) {
    const auto why = rejection([&b = body] { parseWhipJob(b); });
    EXPECT_NE(why.find(says), std::string::npos) << body << ": " << why;
  }
}

TEST(ByocJobRequest, WhepSubscribe) {
  auto r = parseWhepJob(json{{"sdp_offer", "v=0"}});
  EXPECT_TRUE(r.sessionId.empty());
  EXPECT_TRUE(r.streamId.empty());
  EXPECT_EQ(parseWhepJob(json{{"sdp_offer", "v=0"}, {"session_id", "abc"}}).sessionId, "abc");
  EXPECT_EQ(parseWhepJob(json{{"sdp_offer", "v=0"}, {"stream_id", "cam-1"}}).streamId, "cam-1");
  const std::pair<json, const char*> cases[] = {
      {json{{"sdp_offer", "v=0"}, {"session_id", 5}}, "'session_id' must be a string"},
      {json{{"sdp_offer", "v=0"}, {"stream_id", ""}}, "'stream_id' must be 1-128"},
      {json{{"sdp_offer", "v=0"}, {"stream_id", "a/b"}}, "not allowed"},
      {json{{"sdp_offer", "v=0"}, {"stream_id", std::string(129, 'x')}}, "1-128"},
      {json{{"sdp_offer", "v=0"}, {"stream_id", "a"}, {"session_id", "b"}}, "not both"},
  };
  for (const auto& [body, says] : cases) {
    const auto why = rejection([&b = body] { parseWhepJob(b); });
    EXPECT_NE(why.find(says), std::string::npos) << body << ": " << why;
  }
}

}  // namespace
// Issue 7: a BYOC job whose workflow literal was nested ~58,000 levels deep killed the process.
TEST(ByocJobRequest, DeepBodiesAre400BeforeTheyAreBuilt) {
  const std::string deep = std::string(58000, '[') + std::string(58000, ']');
  const std::string body =
      R"({"input": {"prompts": {"1": {"class_type": "LoadTensor", "inputs": {"x": )" + deep +
      "}}}}}";
  try {
    parseJsonObject(body);
    FAIL() << "parsed";
  } catch (const ControlError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadRequest);
    EXPECT_NE(std::string(e.what()).find("nested deeper"), std::string::npos);
  }
}

TEST(ByocJobRequest, InvalidUtf8Is400WithAValidMessage) {
  try {
    parseJsonObject("{\"input\": \"\xC3\x28\"}");
    FAIL() << "parsed";
  } catch (const ControlError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadRequest);
    EXPECT_NO_THROW(nlohmann::json({{"error", e.what()}}).dump());
  }
}

}  // namespace cs
