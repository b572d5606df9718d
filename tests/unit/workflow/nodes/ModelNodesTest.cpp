// Model nodes on the ONNX test models (OpenCV DNN), checked against references computed here
// from the known weights; and workflows with model nodes compiled through CompiledGraph.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "../ModelTestSupport.h"
#include "workflow/CompiledGraph.h"
#include "workflow/WorkflowError.h"

namespace cs {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;
using namespace modeltest;

// DepthAnythingTensorrt's expected output for tiny_depth, following the original's Python
// (nodes/depth_anything_tensorrt.py) step by step, in double precision.
enum class DepthMode { Da2, Metric, Da3 };
cv::Mat depthReference(const cv::Mat& rgb, DepthMode mode) {
  const cv::Mat raw = tinyDepthRaw(rgb);  // F.interpolate 518x518 bilinear, then the model
  cv::Mat d8(raw.size(), CV_8U);
  if (mode == DepthMode::Da3) {
    // _postprocess_da3: inverse depth where > 0; 2nd-98th percentile; clip; * 255; astype(uint8).
    cv::Mat inv = raw.clone();
    std::vector<double> valid;
    for (auto it = inv.begin<double>(); it != inv.end<double>(); ++it)
      if (*it > 0) valid.push_back(*it = 1.0 / *it);
    double lo = 0, hi = 0;
    if (valid.size() > 10) lo = npPercentile(valid, 2), hi = npPercentile(valid, 98);
    if (lo == hi) lo -= 1e-6, hi += 1e-6;
    for (int y = 0; y < raw.rows; ++y)
      for (int x = 0; x < raw.cols; ++x)
        d8.at<uchar>(y, x) = static_cast<uchar>(
            std::floor(std::clamp((inv.at<double>(y, x) - lo) / (hi - lo), 0.0, 1.0) * 255.0));
  } else {
    // _postprocess_da2: (d - min) / (max - min) * 255.0, astype(uint8) truncates.
    double mn, mx;
    cv::minMaxLoc(raw, &mn, &mx);
    for (int y = 0; y < raw.rows; ++y)
      for (int x = 0; x < raw.cols; ++x)
        d8.at<uchar>(y, x) =
            static_cast<uchar>(std::floor((raw.at<double>(y, x) - mn) / (mx - mn) * 255.0));
  }
  cv::Mat full;
  cv::resize(d8, full, rgb.size(), 0, 0, cv::INTER_LINEAR);  // the original's cv2.resize
  if (mode == DepthMode::Metric) full = 255 - full;          // 1 - x
  cv::Mat out;
  cv::cvtColor(full, out, cv::COLOR_GRAY2RGB);
  return out;
}

class ModelNodes : public ::testing::Test {
 protected:
  void SetUp() override { ctx_.models = &store_; }
  cv::Mat depth(const std::string& engine, const cv::Mat& rgb) {
    NodeHarness n("DepthAnythingTensorrt");
    n.set("engine", engine);
    n.configure(ctx_);
    n.set("images", Image{rgb});
    return n.runImage();
  }
  cv::Mat upscale(const std::string& model, const cv::Mat& rgb) {
    NodeHarness loader("UpscaleModelLoader");
    loader.set("model_name", model);
    loader.configure(ctx_);
    const Value handle = loader.run().at(0);
    NodeHarness up("ImageUpscaleWithModel");
    up.set("upscale_model", handle).set("image", Image{rgb});
    up.configure(ctx_);
    return up.runImage();
  }
  std::string configureError(const std::string& type, const std::string& input,
                             const std::string& value) {
    NodeHarness n(type);
    n.set(input, value);
    try {
      n.configure(ctx_);
    } catch (const NodeInputError& e) {
      EXPECT_EQ(e.input(), input);
      return e.what();
    }
    ADD_FAILURE() << type << " accepted " << value;
    return {};
  }

  ModelStore store_{generatedWorkspace()};
  NodeContext ctx_;
};

TEST_F(ModelNodes, UpscaleWithKnownConvMatchesExactReference) {
  const cv::Mat img = testImage(96, 64);
  const cv::Mat out = upscale("conv3x3.onnx", img);
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.type(), CV_8UC3);
  // Within rounding of the exact value: the weights are multiples of 1/64, so exact .5 ties are
  // common and float32 noise may round them either way.
  EXPECT_LE(maxRoundingError(out, conv3x3Exact(img)), 0.5 + 1e-3);
  // The -0.25 bias and 1.5 gain of channel 0 push values past both ends: clamped, not wrapped.
  double mn, mx;
  cv::Mat ch0;
  cv::extractChannel(out, ch0, 0);
  cv::minMaxLoc(ch0, &mn, &mx);
  EXPECT_EQ(mn, 0);
  EXPECT_EQ(mx, 255);
}

TEST_F(ModelNodes, UpscaleAnyScaleFactor) {
  const cv::Mat img = testImage(40, 30);
  const cv::Mat out = upscale("invert_up2x.onnx", img);
  ASSERT_EQ(out.size(), cv::Size(80, 60));
  cv::Mat expected;
  cv::resize(cv::Scalar::all(255) - img, expected, cv::Size(80, 60), 0, 0, cv::INTER_NEAREST);
  EXPECT_EQ(diff(out, expected).max, 0);
}

TEST_F(ModelNodes, DepthAnythingMatchesTheOriginalsPostprocessing) {
  for (const cv::Size size : {cv::Size(512, 512), cv::Size(320, 240), cv::Size(700, 400)}) {
    SCOPED_TRACE(size);
    const cv::Mat img = testImage(size.width, size.height, size.area());
    const cv::Mat out = depth("tiny_depth.onnx", img);
    ASSERT_EQ(out.size(), size);
    ASSERT_EQ(out.type(), CV_8UC3);
    const Diff d = diff(out, depthReference(img, DepthMode::Da2));
    EXPECT_LE(d.max, 1);
    EXPECT_GE(d.equal, 0.99);
    // Grayscale, and min-max normalised: black and white both present.
    std::vector<cv::Mat> ch;
    cv::split(out, ch);
    EXPECT_EQ(cv::countNonZero(ch[0] != ch[1]) + cv::countNonZero(ch[0] != ch[2]), 0);
  }
}

TEST_F(ModelNodes, DepthAnythingMetricAndDa3NamesSwitchPostprocessing) {
  const cv::Mat img = testImage(256, 192);
  const cv::Mat plain = depth("tiny_depth.onnx", img);
  const cv::Mat metric = depth("tiny_depth_metric.onnx", img);
  EXPECT_EQ(diff(metric, cv::Scalar::all(255) - plain).max, 0);  // the same model, inverted

  const cv::Mat da3 = depth("tiny_depth_DA3.onnx", img);
  const Diff d = diff(da3, depthReference(img, DepthMode::Da3));
  EXPECT_LE(d.max, 1);
  EXPECT_GE(d.equal, 0.99);
}

TEST_F(ModelNodes, DepthAnythingEngineNameRunsTheSiblingExport) {
  const cv::Mat img = testImage(128, 128);
  // tiny_depth.engine exists (a placeholder) but cannot run: the .onnx (or .pt) beside it does.
  EXPECT_EQ(diff(depth("tiny_depth.engine", img), depth("tiny_depth.onnx", img)).max, 0);
}

TEST_F(ModelNodes, ErrorsNameTheInputAndListPathsTried) {
  const fs::path dir = generatedWorkspace() / "models/tensorrt/depth-anything";
  const std::string e = configureError("DepthAnythingTensorrt", "engine", "missing.engine");
  EXPECT_THAT(e, HasSubstr("model 'missing.engine' not found"));
  EXPECT_THAT(e, HasSubstr((dir / "missing.engine").string()));
  EXPECT_THAT(e, HasSubstr((dir / "missing.onnx").string()));
  EXPECT_THAT(e,
              HasSubstr("available: tiny_depth.onnx tiny_depth_DA3.onnx tiny_depth_metric.onnx"));

  EXPECT_THAT(
      configureError("DepthAnythingTensorrt", "engine", "../../upscale_models/conv3x3.onnx"),
      HasSubstr("escapes models/tensorrt/depth-anything"));
  EXPECT_THAT(configureError("UpscaleModelLoader", "model_name", "/etc/passwd"),
              HasSubstr("absolute path"));
  EXPECT_THAT(configureError("UpscaleModelLoader", "model_name", "nope.pth"),
              HasSubstr((generatedWorkspace() / "models/upscale_models/nope.onnx").string()));
}

TEST_F(ModelNodes, WrongKindOfModelIsRefusedAtConfigure) {
  TempDir ws;
  fs::create_directories(ws.path() / "models/tensorrt/depth-anything");
  fs::copy_file(generatedWorkspace() / "models/upscale_models/conv3x3.onnx",
                ws.path() / "models/tensorrt/depth-anything/rgb.onnx");
  ModelStore store{ws.path()};
  ctx_.models = &store;
  EXPECT_THAT(configureError("DepthAnythingTensorrt", "engine", "rgb.onnx"),
              HasSubstr("does not run as a Depth Anything model: a depth model must return one "
                        "plane"));
}

TEST_F(ModelNodes, WithoutWorkspaceTheErrorSaysSo) {
  ctx_.models = nullptr;
  EXPECT_THAT(configureError("DepthAnythingTensorrt", "engine", "tiny_depth.engine"),
              HasSubstr("without a workspace (--workspace DIR"));
}

TEST_F(ModelNodes, FailingFrameIsDroppedNotThrown) {
  // An upscale model that outputs one plane is gray; a frame the model cannot take yields no
  // output rather than an exception. invert_up2x cannot run on a 1-channel image.
  NodeHarness loader("UpscaleModelLoader");
  loader.set("model_name", "invert_up2x.onnx");
  loader.configure(ctx_);
  NodeHarness up("ImageUpscaleWithModel");
  up.set("upscale_model", loader.run().at(0))
      .set("image", Image{cv::Mat(8, 8, CV_8UC1, cv::Scalar(3))});
  EXPECT_TRUE(std::holds_alternative<std::monostate>(up.run().at(0)));
}

nlohmann::json depthWorkflow(const std::string& engine) {
  return nlohmann::json::parse(R"({
    "1": {"class_type": "LoadTensor", "inputs": {}},
    "2": {"class_type": "DepthAnythingTensorrt", "inputs": {"images": ["1", 0], "engine": ")" +
                               engine + R"("}, "_meta": {"title": "Depth Anything Tensorrt"}},
    "3": {"class_type": "SaveTensor", "inputs": {"images": ["2", 0]}}
  })");
}

TEST_F(ModelNodes, DepthWorkflowCompilesAndRuns) {
  auto g =
      CompiledGraph::compile(depthWorkflow("tiny_depth.engine"), NodeRegistry::builtin(), ctx_);
  const cv::Mat in = testImage(512, 512);
  cv::Mat out;
  FrameContext f;
  f.inputImage = &in;
  f.outputImage = &out;
  g->run(f);
  ASSERT_FALSE(out.empty());
  EXPECT_LE(diff(out, depthReference(in, DepthMode::Da2)).max, 1);
}

TEST_F(ModelNodes, UpscaleWorkflowCompilesAndRuns) {
  const auto prompt = nlohmann::json::parse(R"({
    "1": {"class_type": "LoadTensor", "inputs": {}},
    "2": {"class_type": "UpscaleModelLoader", "inputs": {"model_name": "invert_up2x.onnx"}},
    "3": {"class_type": "ImageUpscaleWithModel", "inputs": {"upscale_model": ["2", 0], "image": ["1", 0]}},
    "4": {"class_type": "SaveTensor", "inputs": {"images": ["3", 0]}}
  })");
  auto g = CompiledGraph::compile(prompt, NodeRegistry::builtin(), ctx_);
  const cv::Mat in = testImage(64, 48);
  cv::Mat out;
  FrameContext f;
  f.inputImage = &in;
  f.outputImage = &out;
  g->run(f);
  ASSERT_EQ(out.size(), cv::Size(128, 96));
  EXPECT_EQ(out.at<cv::Vec3b>(5, 7), cv::Vec3b::all(255) - in.at<cv::Vec3b>(2, 3));
}

TEST_F(ModelNodes, WorkflowWithMissingModelIsRejectedNamingNodeAndInput) {
  try {
    CompiledGraph::compile(depthWorkflow("depth_anything_vitl14-fp16.engine"),
                           NodeRegistry::builtin(), ctx_);
    FAIL() << "compiled";
  } catch (const WorkflowError& e) {
    ASSERT_EQ(e.nodeErrors().count("2"), 1u);
    const auto& ne = e.nodeErrors().at("2");
    EXPECT_EQ(ne.classType, "DepthAnythingTensorrt");
    ASSERT_EQ(ne.errors.size(), 1u);
    EXPECT_EQ(ne.errors[0].inputName, "engine");
    EXPECT_THAT(ne.errors[0].message, HasSubstr("depth-anything/depth_anything_vitl14-fp16.onnx"));
  }
}

TEST_F(ModelNodes, GraphsNamingOneModelShareOneLoad) {
  auto a =
      CompiledGraph::compile(depthWorkflow("tiny_depth.engine"), NodeRegistry::builtin(), ctx_);
  auto b = CompiledGraph::compile(depthWorkflow("tiny_depth"), NodeRegistry::builtin(), ctx_);
  // Both graphs hold the model the store hands out now: a third load returns the same object.
  auto m1 = store_.load("tensorrt/depth-anything", "tiny_depth.engine");
  EXPECT_EQ(m1.use_count(), 3);  // graph a, graph b, m1
}

}  // namespace
}  // namespace cs
