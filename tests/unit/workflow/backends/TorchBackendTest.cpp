// TorchScript models through libtorch: compiled only in builds with -DCOMFYSTREAM_WITH_TORCH=ON
// (HAVE_TORCH), so a build without libtorch registers none of these rather than skipping them.
#if HAVE_TORCH
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "../ModelTestSupport.h"
#include "workflow/CompiledGraph.h"

namespace cs {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;
using namespace modeltest;

class TorchModels : public ::testing::Test {
 protected:
  void SetUp() override { ctx_.models = &store_; }
  ModelStore store_{generatedWorkspace(/*torch=*/true)};
  NodeContext ctx_;
};

TEST_F(TorchModels, TorchScriptIsPreferredForSiblings) {
  const auto m = store_.load("tensorrt/depth-anything", "tiny_depth.engine");
  EXPECT_EQ(m->file().filename(), "tiny_depth.pt");
  EXPECT_STREQ(m->backendName(), "TorchScript (libtorch)");
  EXPECT_EQ(store_.load("upscale_models", "conv3x3.pth")->file().filename(), "conv3x3.pt");
}

TEST_F(TorchModels, UpscaleMatchesExactReference) {
  NodeHarness loader("UpscaleModelLoader");
  loader.set("model_name", "conv3x3.pt");
  loader.configure(ctx_);
  const cv::Mat img = testImage(96, 64);
  NodeHarness up("ImageUpscaleWithModel");
  up.set("upscale_model", loader.run().at(0)).set("image", Image{img});
  const cv::Mat out = up.runImage();
  EXPECT_LE(maxRoundingError(out, conv3x3Exact(img)), 0.5 + 1e-3);
}

TEST_F(TorchModels, TorchScriptAndOnnxTwinsAgree) {
  const cv::Mat img = testImage(320, 240);
  auto depth = [&](const std::string& engine) {
    NodeHarness n("DepthAnythingTensorrt");
    n.set("engine", engine);
    n.configure(ctx_);
    n.set("images", Image{img});
    return n.runImage();
  };
  const cv::Mat pt = depth("tiny_depth.pt"), onnx = depth("tiny_depth.onnx");
  ASSERT_FALSE(pt.empty());
  const Diff d = diff(pt, onnx);
  EXPECT_LE(d.max, 1);
  EXPECT_GE(d.equal, 0.99);
}

TEST_F(TorchModels, DepthWorkflowRunsOnTorchScript) {
  const auto prompt = nlohmann::json::parse(R"({
    "1": {"class_type": "LoadTensor", "inputs": {}},
    "2": {"class_type": "DepthAnythingTensorrt", "inputs": {"images": ["1", 0], "engine": "tiny_depth.engine"}},
    "3": {"class_type": "SaveTensor", "inputs": {"images": ["2", 0]}}
  })");
  auto g = CompiledGraph::compile(prompt, NodeRegistry::builtin(), ctx_);
  const cv::Mat in = testImage(512, 512);
  cv::Mat out;
  FrameContext f;
  f.inputImage = &in;
  f.outputImage = &out;
  g->run(f);
  EXPECT_EQ(out.size(), in.size());
}

TEST_F(TorchModels, NonTorchScriptPtFileIsAClearError) {
  TempDir ws;
  fs::create_directories(ws.path() / "models/upscale_models");
  std::ofstream(ws.path() / "models/upscale_models/state_dict.pt") << "not a zip archive";
  ModelStore store{ws.path()};
  try {
    store.load("upscale_models", "state_dict.pt");
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot load TorchScript model " +
                                    (ws.path() / "models/upscale_models/state_dict.pt").string()));
    EXPECT_THAT(e.what(), Not(HasSubstr("Exception raised from")));  // no C++ backtrace
  }
}

// torch.onnx.export leaves Identity(initializer) nodes that OpenCV 4.6 rejects
// (docs/INFERENCE-NOTES.md §I6); scripts/make_test_models.py --fix-onnx repairs them.
TEST_F(TorchModels, TorchOnnxExportNeedsTheIdentityFix) {
  try {
    store_.load("onnx", "torch_export_raw.onnx");
    FAIL() << "OpenCV imported Identity nodes (fixed in newer OpenCV?)";
  } catch (const ModelError& e) {
    EXPECT_THAT(e.what(), HasSubstr("--fix-onnx"));
  }
  const auto m = store_.load("onnx", "torch_export_fixed.onnx");
  const int sz[] = {1, 3, 4, 4};
  const cv::Mat out = m->forward(cv::Mat(4, sz, CV_32F, cv::Scalar(0.5)));
  ASSERT_EQ(out.total(), 48u);
  for (size_t i = 0; i < out.total(); ++i)
    EXPECT_NEAR(out.ptr<float>()[i], 0.75 * 0.5 + 0.25, 1e-6);
}

}  // namespace
}  // namespace cs
#endif  // HAVE_TORCH
