// Issue 7: a 1.9 KB job whose workflow made a 16384² EmptyImage and blended it took 2.7 GB and
// 11 s during warm-up. Sizes are now bounded at validation (a node error naming node and input)
// and again before a node allocates on the media path.
#include "workflow/Limits.h"

#include <gtest/gtest.h>

#include <chrono>

#include "workflow/GraphWorkflow.h"
#include "workflow/NodeRegistry.h"
#include "workflow/WorkflowError.h"

namespace cs {
namespace {

using nlohmann::json;

json node(const std::string& type, json inputs = json::object()) {
  return {{"class_type", type}, {"inputs", inputs}};
}

// The measured job: LoadTensor blended with an EmptyImage of the given size.
json blendWith(const json& emptyInputs) {
  json inputs = {{"width", 64}, {"height", 64}, {"batch_size", 1}, {"color", 0}};
  for (const auto& [k, v] : emptyInputs.items()) inputs[k] = v;
  return {{"1", node("LoadTensor")},
          {"2", node("EmptyImage", inputs)},
          {"3", node("ImageBlend", {{"image1", {"1", 0}},
                                    {"image2", {"2", 0}},
                                    {"blend_factor", 0.5},
                                    {"blend_mode", "normal"}})},
          {"4", node("SaveTensor", {{"images", {"3", 0}}})}};
}

WorkflowError buildError(const json& prompt, NodeContext ctx = {}) {
  try {
    GraphWorkflow::build("test", prompt, ctx);
  } catch (const WorkflowError& e) {
    return e;
  }
  ADD_FAILURE() << "built: " << prompt.dump();
  return WorkflowError("none", "none");
}

void expectSizeError(const WorkflowError& e, const std::string& id, const std::string& input,
                     const std::string& says) {
  const json j = e.toJson();
  ASSERT_TRUE(j["node_errors"].contains(id)) << j.dump(1);
  bool found = false;
  for (const auto& err : j["node_errors"][id]["errors"])
    if (err["extra_info"]["input_name"] == input) {
      found = true;
      EXPECT_EQ(err["type"], "value_bigger_than_max");
      EXPECT_NE(err["message"].get<std::string>().find(says), std::string::npos) << err.dump();
    }
  EXPECT_TRUE(found) << j.dump(1);
}

}  // namespace

TEST(WorkflowLimits, A16384SquareEmptyImageIsRefusedBeforeAnythingAllocates) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto e =
      buildError(blendWith({{"width", 16384}, {"height", 16384}, {"batch_size", 1}, {"color", 0}}));
  const auto ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(e.type(), "prompt_outputs_failed_validation");
  expectSizeError(e, "2", "width", "--max-image-size");
  expectSizeError(e, "2", "height", "--max-image-size");
  EXPECT_LT(ms, 100.0);  // was 11 s and 2.7 GB
}

TEST(WorkflowLimits, PixelsAreBoundedToo) {
  // 4096 × 4096 is within the side limit but over 4096 × 2160 pixels.
  const auto e = buildError(blendWith({{"width", 4096}, {"height", 4096}}));
  expectSizeError(e, "2", "height", "--max-image-pixels");
  NodeContext ctx;
  EXPECT_NO_THROW(GraphWorkflow::build("ok", blendWith({{"width", 1920}, {"height", 1080}}), ctx));
}

TEST(WorkflowLimits, LimitsAreConfigurable) {
  NodeContext ctx;
  ctx.limits.maxImageSide = 256;
  const auto e = buildError(blendWith({{"width", 512}, {"height", 256}}), ctx);
  expectSizeError(e, "2", "width", "limit of 256");
}

TEST(WorkflowLimits, BatchIsBounded) {
  const auto e = buildError(blendWith({{"batch_size", 17}}));
  expectSizeError(e, "2", "batch_size", "--max-batch");
}

TEST(WorkflowLimits, ScaleFactorsAreCheckedAtTheStreamsSize) {
  const json prompt = {
      {"1", node("LoadTensor")},
      {"2", node("ImageScaleBy",
                 {{"image", {"1", 0}}, {"upscale_method", "bilinear"}, {"scale_by", 8.0}})},
      {"3", node("SaveTensor", {{"images", {"2", 0}}})}};
  NodeContext ctx;
  ctx.width = 1280;
  ctx.height = 720;
  expectSizeError(buildError(prompt, ctx), "2", "scale_by", "1280x720");
  ctx.width = ctx.height = 256;
  EXPECT_NO_THROW(GraphWorkflow::build("ok", prompt, ctx));
}

TEST(WorkflowLimits, ExtentsAreBounded) {
  const json prompt = {
      {"1", node("LoadTensor")},
      {"2", node("ImageCrop",
                 {{"image", {"1", 0}}, {"width", 10000}, {"height", 64}, {"x", 0}, {"y", 0}})},
      {"3", node("SaveTensor", {{"images", {"2", 0}}})}};
  expectSizeError(buildError(prompt), "2", "width", "--max-image-size");
}

TEST(WorkflowLimits, NodesCheckAgainBeforeAllocatingOnTheMediaPath) {
  // A node configured under small limits, then asked (as a linked INT could) for more: it makes
  // no buffer and outputs nothing (the frame is dropped and counted), without throwing.
  const auto* entry = NodeRegistry::builtin().find("EmptyImage");
  ASSERT_NE(entry, nullptr);
  auto n = entry->make();
  NodeContext ctx;
  ctx.limits.maxImageSide = 64;
  Value w = int64_t{128}, h = int64_t{32}, batch = int64_t{1}, color = int64_t{0};
  n->configure(NodeArgs({&w, &h, &batch, &color}), ctx);
  std::vector<Value> out(1);
  FrameContext frame;
  n->run(NodeArgs({&w, &h, &batch, &color}), out, frame);
  EXPECT_TRUE(std::get<Image>(out[0]).rgb.empty());
  w = int64_t{64};
  n->run(NodeArgs({&w, &h, &batch, &color}), out, frame);
  EXPECT_EQ(std::get<Image>(out[0]).rgb.cols, 64);
}

TEST(WorkflowLimits, DeepLiteralsNeverReachTheRecursiveCompiler) {
  // Built in code (not through the bounded parser): the compiler refuses it without recursing.
  json deep = 1;
  for (int i = 0; i < 1000; ++i) deep = json::array({std::move(deep)});
  json prompt = blendWith({{"width", 64}, {"height", 64}});
  prompt["2"]["inputs"]["color"] = std::move(deep);
  const auto e = buildError(prompt);
  EXPECT_EQ(e.type(), "invalid_prompt");
  EXPECT_NE(std::string(e.what()).find("nested deeper"), std::string::npos);
}

TEST(WorkflowLimits, NodeAndWorkflowCountsAreBounded) {
  json big = json::object();
  big["1"] = node("LoadTensor");
  for (int i = 2; i <= 1100; ++i)
    big[std::to_string(i)] = node("SaveTensor", {{"images", {"1", 0}}});
  EXPECT_NE(std::string(buildError(big).what()).find("the limit is 1000"), std::string::npos);
  json list = json::array();
  for (int i = 0; i < 17; ++i) list.push_back(blendWith({}));
  EXPECT_NE(std::string(buildError(list).what()).find("the limit is 16"), std::string::npos);
}

}  // namespace cs
