// The original comfystream's "control" data-channel protocol, message by message, against a real
// Stream: every request type gets its reply type with success or an error the client can show,
// a refused update leaves the running workflow in place, and a viewer's channel may ask but not
// change anything.
#include "rtc/ControlChannel.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "stream/Stream.h"
#include "util/JsonLimits.h"
#include "util/MainLoop.h"
#include "util/TaskQueue.h"
#include "workflow/GraphWorkflow.h"

namespace cs {
namespace {

using nlohmann::json;

json node(const std::string& type, json inputs = json::object()) {
  return {{"class_type", type}, {"inputs", inputs}};
}

const json kPassthrough = {{"1", node("LoadTensor")},
                           {"2", node("SaveTensor", {{"images", {"1", 0}}})}};
const json kInvert = {{"1", node("LoadTensor")},
                      {"2", node("ImageInvert", {{"image", {"1", 0}}})},
                      {"3", node("SaveTensor", {{"images", {"2", 0}}})}};
// ImageInvert without its image: refused, naming node #2 and the input.
const json kBroken = {{"1", node("LoadTensor")},
                      {"2", node("ImageInvert")},
                      {"3", node("SaveTensor", {{"images", {"2", 0}}})}};

class ControlChannelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    stream_->applyWorkflow(workflows_, WorkflowSource::of("start", json::array({kPassthrough})),
                           "the test's first workflow");
  }

  // The publisher's channel (mayControl) or a viewer's. The one place that knows how a channel is
  // built, so a change of its constructor touches only this.
  std::shared_ptr<ControlChannel> channel(bool mayControl = true) {
    return std::make_shared<ControlChannel>(stream_, tasks_, mayControl, workflows_);
  }

  static json ask(ControlChannel& c, const json& message) { return c.handle(message.dump()); }

  std::string runningWorkflow() const { return std::string(stream_->workflow()->name()); }

  MainLoop loop_;
  WorkflowService workflows_{WorkflowSettings{}};
  TaskQueue tasks_{"cs:test-ctl"};
  std::shared_ptr<Stream> stream_ = std::make_shared<Stream>("cc", 1'000'000, loop_);
};

TEST_F(ControlChannelTest, GetNodesDescribesTheRunningWorkflowsWidgets) {
  auto c = channel();
  json flip = {
      {"1", node("LoadTensor", {{"timeout_seconds", 2.5}})},
      {"2", node("ImageFlip", {{"image", {"1", 0}}, {"flip_method", "x-axis: vertically"}})},
      {"3", node("SaveTensor", {{"images", {"2", 0}}})}};
  ASSERT_EQ(ask(*c, {{"type", "update_prompts"}, {"prompts", {flip}}})["success"], true);

  const json reply = ask(*c, {{"type", "get_nodes"}});
  EXPECT_EQ(reply["type"], "nodes_info");
  const json& nodes = reply["nodes"]["0"];
  ASSERT_TRUE(nodes.contains("1") && nodes.contains("2") && nodes.contains("3")) << reply.dump(1);
  EXPECT_EQ(nodes["1"]["class_type"], "LoadTensor");
  EXPECT_EQ(
      nodes["1"]["inputs"]["timeout_seconds"],
      json({{"value", 2.5}, {"type", "FLOAT"}, {"min", 0.1}, {"max", 30.0}, {"widget", nullptr}}));
  // A combo lists its options as the value; a linked input is not a widget and is left out.
  const json& method = nodes["2"]["inputs"]["flip_method"];
  EXPECT_EQ(method["type"], "combo");
  EXPECT_EQ(method["value"], json({"x-axis: vertically", "y-axis: horizontally"}));
  EXPECT_FALSE(nodes["2"]["inputs"].contains("image"));
  EXPECT_EQ(nodes["3"]["inputs"], json::object());
}

TEST_F(ControlChannelTest, UpdatePromptsSwapsTheWorkflow) {
  auto c = channel();
  EXPECT_EQ(ask(*c, {{"type", "update_prompts"}, {"prompts", {kInvert}}}),
            json({{"type", "prompts_updated"}, {"success", true}}));
  EXPECT_EQ(runningWorkflow(), "update_prompts");
  EXPECT_FALSE(stream_->workflow()->passthrough());
  EXPECT_EQ(ask(*c, {{"type", "get_nodes"}})["nodes"]["0"]["2"]["class_type"], "ImageInvert");
}

TEST_F(ControlChannelTest, AnInvalidWorkflowIsRefusedWithItsNodeErrorsAndTheOldOneRunsOn) {
  auto c = channel();
  const json reply = ask(*c, {{"type", "update_prompts"}, {"prompts", {kBroken}}});
  EXPECT_EQ(reply["type"], "prompts_updated");
  EXPECT_EQ(reply["success"], false);
  const std::string error = reply["error"];
  EXPECT_NE(error.find("node #2"), std::string::npos) << error;
  EXPECT_NE(error.find("'image'"), std::string::npos) << error;
  EXPECT_EQ(reply["node_errors"]["2"]["class_type"], "ImageInvert") << reply.dump(1);
  EXPECT_EQ(runningWorkflow(), "start");
}

TEST_F(ControlChannelTest, UpdatePromptsWithoutPromptsSaysSo) {
  EXPECT_EQ(ask(*channel(), {{"type", "update_prompts"}}),
            json({{"type", "prompts_updated"},
                  {"success", false},
                  {"error", "Missing 'prompts' in control message"}}));
  EXPECT_EQ(runningWorkflow(), "start");
}

TEST_F(ControlChannelTest, AMessageNestedTooDeepIsRefusedBeforeItIsBuilt) {
  // A workflow whose widget value nests past the parser's limit: refused while parsing, as invalid
  // JSON, so nothing recursive ever sees it.
  std::string deep;
  for (size_t i = 0; i < kMaxJsonDepth + 10; ++i) deep += "[";
  for (size_t i = 0; i < kMaxJsonDepth + 10; ++i) deep += "]";
  const std::string message = R"({"type": "update_prompts", "prompts": [{"1": {"class_type": )"
                              R"("LoadTensor", "inputs": {"timeout_seconds": )" +
                              deep + "}}}]}";
  const json reply = channel()->handle(message);
  EXPECT_EQ(reply["type"], "error");
  EXPECT_EQ(reply["success"], false);
  EXPECT_NE(reply["error"].get<std::string>().find("nested deeper than"), std::string::npos)
      << reply.dump();
  EXPECT_EQ(runningWorkflow(), "start");
}

TEST_F(ControlChannelTest, UpdateResolutionTakesSensibleSizesOnly) {
  auto c = channel();
  EXPECT_EQ(ask(*c, {{"type", "update_resolution"}, {"width", 640}, {"height", 480}}),
            json({{"type", "resolution_updated"}, {"success", true}}));
  const json missing = {{"type", "resolution_updated"},
                        {"success", false},
                        {"error", "Missing 'width' or 'height' in control message"}};
  EXPECT_EQ(ask(*c, {{"type", "update_resolution"}, {"width", 640}}), missing);
  EXPECT_EQ(ask(*c, {{"type", "update_resolution"}, {"width", "640"}, {"height", 480}}), missing);
  EXPECT_EQ(ask(*c, {{"type", "update_resolution"}, {"width", 640.5}, {"height", 480}}), missing);
  for (const auto& [w, h] : {std::pair{8, 480}, std::pair{640, 8192}}) {
    EXPECT_EQ(ask(*c, {{"type", "update_resolution"}, {"width", w}, {"height", h}}),
              json({{"type", "resolution_updated"},
                    {"success", false},
                    {"error", "width and height must be 16-4096"}}))
        << w << "x" << h;
  }
}

TEST_F(ControlChannelTest, PauseResumeAndStopPrompts) {
  auto c = channel();
  ASSERT_EQ(ask(*c, {{"type", "update_prompts"}, {"prompts", {kInvert}}})["success"], true);

  EXPECT_EQ(ask(*c, {{"type", "pause_prompts"}}),
            json({{"type", "prompts_paused"}, {"success", true}}));
  EXPECT_TRUE(stream_->videoProcessor().paused());
  EXPECT_EQ(ask(*c, {{"type", "resume_prompts"}}),
            json({{"type", "prompts_resumed"}, {"success", true}}));
  EXPECT_FALSE(stream_->videoProcessor().paused());

  // stop_prompts: frames go on, unprocessed, until the next update_prompts (and it unpauses).
  ask(*c, {{"type", "pause_prompts"}});
  EXPECT_EQ(ask(*c, {{"type", "stop_prompts"}}),
            json({{"type", "prompts_stopped"}, {"success", true}}));
  EXPECT_EQ(runningWorkflow(), "passthrough");
  EXPECT_TRUE(stream_->workflow()->passthrough());
  EXPECT_FALSE(stream_->videoProcessor().paused());
}

TEST_F(ControlChannelTest, UnknownTypesAndNonJsonGetAnErrorReply) {
  auto c = channel();
  EXPECT_EQ(ask(*c, {{"type", "no_such_message"}}),
            json({{"type", "error"},
                  {"success", false},
                  {"error", "unknown control message type 'no_such_message'"}}));
  EXPECT_EQ(
      ask(*c, {{"prompts", {kInvert}}}),  // no type at all
      json({{"type", "error"}, {"success", false}, {"error", "unknown control message type ''"}}));
  EXPECT_EQ(ask(*c, json::array({"update_prompts"}))["type"], "error");

  const json reply = c->handle("{\"type\": \"update_prompts\", ");
  EXPECT_EQ(reply["type"], "error");
  EXPECT_EQ(reply["success"], false);
  EXPECT_EQ(reply["error"].get<std::string>().rfind("control message is not JSON: ", 0), 0u)
      << reply.dump();
  EXPECT_EQ(runningWorkflow(), "start");
}

TEST_F(ControlChannelTest, AViewersChannelMayAskButNotControl) {
  auto viewer = channel(/*mayControl=*/false);
  EXPECT_EQ(ask(*viewer, {{"type", "get_nodes"}})["type"], "nodes_info");
  const std::string refusal = "control messages are accepted from the stream's publisher only";
  const json requests[] = {{{"type", "update_prompts"}, {"prompts", {kInvert}}},
                           {{"type", "update_resolution"}, {"width", 640}, {"height", 480}},
                           {{"type", "pause_prompts"}},
                           {{"type", "resume_prompts"}},
                           {{"type", "stop_prompts"}}};
  const char* replyTypes[] = {"prompts_updated", "resolution_updated", "prompts_paused",
                              "prompts_resumed", "prompts_stopped"};
  for (size_t i = 0; i < std::size(requests); ++i)
    EXPECT_EQ(ask(*viewer, requests[i]),
              json({{"type", replyTypes[i]}, {"success", false}, {"error", refusal}}))
        << requests[i].dump();
  EXPECT_EQ(runningWorkflow(), "start");
  EXPECT_FALSE(stream_->videoProcessor().paused());
}

TEST_F(ControlChannelTest, AChannelOutlivingItsStreamSaysTheStreamEnded) {
  auto c = channel();
  stream_.reset();
  EXPECT_EQ(
      ask(*c, {{"type", "pause_prompts"}}),
      json({{"type", "prompts_paused"}, {"success", false}, {"error", "the stream has ended"}}));
}

}  // namespace
}  // namespace cs
