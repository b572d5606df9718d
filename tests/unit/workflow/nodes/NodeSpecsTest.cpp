// The image and mask nodes' specs through the real compiler: every node compiles and runs in a
// workflow with only its IMAGE/MASK inputs linked and default literals, reuses its buffers frame
// after frame, and bad literals are refused naming the node and the input.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "NodeTestUtil.h"
#include "workflow/CompiledGraph.h"
#include "workflow/WorkflowError.h"

namespace cs::test {
namespace {

using nlohmann::json;

const std::vector<std::string>& nativeNodes() {
  static const std::vector<std::string> n{"ImageInvert",
                                          "ImageBlur",
                                          "ImageSharpen",
                                          "ImageBlend",
                                          "Canny",
                                          "EmptyImage",
                                          "ImageColorAdjust",
                                          "DepthColorMap",
                                          "ImageScale",
                                          "ImageScaleBy",
                                          "ImageCrop",
                                          "ImageFlip",
                                          "ImageRotate",
                                          "ImageCompositeMasked",
                                          "ImageToMask",
                                          "MaskToImage",
                                          "InvertMask",
                                          "ThresholdMask",
                                          "SolidMask",
                                          "GrowMask",
                                          "CropMask",
                                          "FeatherMask",
                                          "MaskComposite",
                                          "ImageColorToMask"};
  return n;
}

json literal(const Value& v) {
  if (auto* i = std::get_if<int64_t>(&v)) return *i;
  if (auto* d = std::get_if<double>(&v)) return *d;
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  if (auto* b = std::get_if<bool>(&v)) return *b;
  return nullptr;
}

// LoadTensor → (ImageToMask) → node → (MaskToImage) → SaveTensor, with `overrides` for node "3".
json workflowFor(const std::string& type, const json& overrides = json::object()) {
  const NodeSpec& spec = NodeRegistry::builtin().find(type)->spec;
  json inputs = json::object();
  for (const auto& in : spec.inputs) {
    if (in.type == ValueType::Image)
      inputs[in.name] = json::array({"1", 0});
    else if (in.type == ValueType::Mask) {
      if (in.required) inputs[in.name] = json::array({"2", 0});
    } else if (in.required)
      inputs[in.name] = literal(in.defaultValue);
  }
  for (const auto& [k, v] : overrides.items()) inputs[k] = v;
  json p = {
      {"1", {{"class_type", "LoadTensor"}, {"inputs", json::object()}}},
      {"2", {{"class_type", "ImageToMask"}, {"inputs", {{"image", {"1", 0}}, {"channel", "red"}}}}},
      {"3", {{"class_type", type}, {"inputs", inputs}}}};
  if (spec.outputs[0].type == ValueType::Mask) {
    p["4"] = {{"class_type", "MaskToImage"}, {"inputs", {{"mask", {"3", 0}}}}};
    p["5"] = {{"class_type", "SaveTensor"}, {"inputs", {{"images", {"4", 0}}}}};
  } else {
    p["5"] = {{"class_type", "SaveTensor"}, {"inputs", {{"images", {"3", 0}}}}};
  }
  return p;
}

cv::Mat runOnce(CompiledGraph& g, const cv::Mat& frame) {
  cv::Mat out;
  FrameContext f;
  f.inputImage = &frame;
  f.outputImage = &out;
  g.run(f);
  return out;
}

WorkflowError compileError(const json& p) {
  NodeContext ctx;
  try {
    CompiledGraph::compile(p, NodeRegistry::builtin(), ctx);
  } catch (const WorkflowError& e) {
    return e;
  }
  ADD_FAILURE() << "compiled: " << p.dump();
  return WorkflowError("none", "none");
}

TEST(NodeSpecs, EveryNodeRunsWithDefaultsInAWorkflowAndReusesItsBuffers) {
  const cv::Mat frame = noiseImage(48, 64);
  for (const auto& type : nativeNodes()) {
    SCOPED_TRACE(type);
    NodeContext ctx;
    auto g = CompiledGraph::compile(workflowFor(type), NodeRegistry::builtin(), ctx);
    const cv::Mat a = runOnce(*g, frame);
    ASSERT_FALSE(a.empty());
    EXPECT_EQ(a.type(), CV_8UC3);
    const cv::Mat b = runOnce(*g, frame);
    EXPECT_EQ(a.data, b.data) << "the output buffer was reallocated";
  }
}

TEST(NodeSpecs, EveryNodeIsDocumented) {
  for (const auto& type : nativeNodes()) {
    const auto* e = NodeRegistry::builtin().find(type);
    ASSERT_NE(e, nullptr) << type;
    EXPECT_GT(e->spec.description.size(), 20u) << type;
    EXPECT_FALSE(e->spec.outputs.empty()) << type;
    for (const auto& in : e->spec.inputs) EXPECT_FALSE(in.doc.empty()) << type << "." << in.name;
  }
  for (const char* t : {"ImageColorAdjust", "DepthColorMap"})
    EXPECT_NE(NodeRegistry::builtin().find(t)->spec.description.find("comfystream-native"),
              std::string::npos);
  EXPECT_NE(NodeRegistry::builtin().find("Canny")->spec.description.find("approximation"),
            std::string::npos);
}

TEST(NodeSpecs, ComfyRangesAndOptionsAreEnforced) {
  struct Case {
    const char* type;
    json overrides;
    const char* input;
    const char* errorType;
  };
  const std::vector<Case> cases{
      {"ImageBlur", {{"blur_radius", 32}}, "blur_radius", "value_bigger_than_max"},
      {"ImageBlur", {{"sigma", 0.05}}, "sigma", "value_smaller_than_min"},
      {"ImageSharpen", {{"alpha", 5.5}}, "alpha", "value_bigger_than_max"},
      {"ImageBlend", {{"blend_mode", "darken"}}, "blend_mode", "value_not_in_list"},
      {"ImageScale", {{"upscale_method", "cubic"}}, "upscale_method", "value_not_in_list"},
      {"ImageScale", {{"width", 16385}}, "width", "value_bigger_than_max"},
      {"ImageScaleBy", {{"scale_by", 8.5}}, "scale_by", "value_bigger_than_max"},
      {"ImageCrop", {{"x", -1}}, "x", "value_smaller_than_min"},
      {"ImageFlip", {{"flip_method", "horizontal"}}, "flip_method", "value_not_in_list"},
      {"ImageRotate", {{"rotation", "45 degrees"}}, "rotation", "value_not_in_list"},
      {"ImageCompositeMasked", {{"resize_source", "yes"}}, "resize_source", "invalid_input_type"},
      {"ThresholdMask", {{"value", 1.5}}, "value", "value_bigger_than_max"},
      {"GrowMask", {{"expand", 2.5}}, "expand", "invalid_input_type"},
      {"ImageToMask", {{"channel", "luma"}}, "channel", "value_not_in_list"},
      {"EmptyImage", {{"color", 0x1000000}}, "color", "value_bigger_than_max"},
      {"Canny", {{"high_threshold", 1.0}}, "high_threshold", "value_bigger_than_max"},
      // Values the ranges cannot express, refused by configure():
      {"Canny",
       {{"low_threshold", 0.6}, {"high_threshold", 0.3}},
       "low_threshold",
       "invalid_input"},
      {"EmptyImage", {{"batch_size", 4}}, "batch_size", "invalid_input"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.type) + " " + c.overrides.dump());
    const WorkflowError e = compileError(workflowFor(c.type, c.overrides));
    EXPECT_EQ(e.type(), "prompt_outputs_failed_validation");
    ASSERT_EQ(e.nodeErrors().count("3"), 1u);
    const NodeErrors& ne = e.nodeErrors().at("3");
    EXPECT_EQ(ne.classType, c.type);
    ASSERT_EQ(ne.errors.size(), 1u);
    EXPECT_EQ(ne.errors[0].inputName, c.input);
    EXPECT_EQ(ne.errors[0].type, c.errorType);
    EXPECT_NE(std::string(e.what()).find(c.type), std::string::npos);
  }
}

TEST(NodeSpecs, RequiredLiteralsMustBePresentAsInComfy) {
  json p = workflowFor("ImageBlur");
  p["3"]["inputs"].erase("sigma");
  const WorkflowError e = compileError(p);
  ASSERT_EQ(e.nodeErrors().count("3"), 1u);
  EXPECT_EQ(e.nodeErrors().at("3").errors[0].type, "required_input_missing");
  EXPECT_EQ(e.nodeErrors().at("3").errors[0].inputName, "sigma");
}

TEST(NodeSpecs, AMaskCannotFeedAnImageInput) {
  json p = workflowFor("ImageBlur");
  p["3"]["inputs"]["image"] = {"2", 0};
  const WorkflowError e = compileError(p);
  ASSERT_EQ(e.nodeErrors().count("3"), 1u);
  EXPECT_EQ(e.nodeErrors().at("3").errors[0].type, "return_type_mismatch");
}

TEST(NodeSpecs, AChainComputesWhatTheNodesDoAlone) {
  // LoadTensor → ImageScale(2x, nearest) → ImageFlip → ImageCompositeMasked(mask from the frame) →
  // SaveTensor
  const json p = {
      {"1", {{"class_type", "LoadTensor"}, {"inputs", json::object()}}},
      {"2",
       {{"class_type", "ImageScale"},
        {"inputs",
         {{"image", {"1", 0}},
          {"upscale_method", "nearest-exact"},
          {"width", 8},
          {"height", 6},
          {"crop", "disabled"}}}}},
      {"3",
       {{"class_type", "ImageFlip"},
        {"inputs", {{"image", {"2", 0}}, {"flip_method", "y-axis: horizontally"}}}}},
      {"4",
       {{"class_type", "ImageToMask"}, {"inputs", {{"image", {"1", 0}}, {"channel", "green"}}}}},
      {"5",
       {{"class_type", "ImageCompositeMasked"},
        {"inputs",
         {{"destination", {"3", 0}},
          {"source", {"1", 0}},
          {"x", 2},
          {"y", 1},
          {"resize_source", false},
          {"mask", {"4", 0}}}}}},
      {"6", {{"class_type", "SaveTensor"}, {"inputs", {{"images", {"5", 0}}}}}}};
  NodeContext ctx;
  auto g = CompiledGraph::compile(p, NodeRegistry::builtin(), ctx);
  const cv::Mat frame = noiseImage(3, 4, 5);
  const cv::Mat out = runOnce(*g, frame).clone();

  const cv::Mat scaled =
      runImage("ImageScale", {{"image", img(frame)}, {"width", i64(8)}, {"height", i64(6)}});
  const cv::Mat flipped =
      runImage("ImageFlip", {{"image", img(scaled)}, {"flip_method", str("y-axis: horizontally")}});
  const cv::Mat m = runMask("ImageToMask", {{"image", img(frame)}, {"channel", str("green")}});
  const cv::Mat want = runImage("ImageCompositeMasked", {{"destination", img(flipped)},
                                                         {"source", img(frame)},
                                                         {"x", i64(2)},
                                                         {"y", i64(1)},
                                                         {"mask", msk(m)}});
  EXPECT_EQ(maxDiff(out, want), 0);
}

}  // namespace
}  // namespace cs::test
