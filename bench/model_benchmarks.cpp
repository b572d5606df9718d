// Per-frame cost of the model nodes on the tiny known-weight test models
// (scripts/make_test_models.py): LoadTensor → model node → SaveTensor through CompiledGraph, on
// RGB frames. The models are one 3x3 conv each, so this is mostly the nodes' own pre/post-
// processing plus the backend's per-call overhead; real models add their own cost on top
// (docs/INFERENCE-NOTES.md §I1).
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <string>

#include "workflow/CompiledGraph.h"
#include "workflow/ModelStore.h"

namespace cs {
namespace {

namespace fs = std::filesystem;

// The generated workspace (removed at exit), or an empty path when the script fails
// (python3-onnx, or python3-torch in a libtorch build, missing).
struct Workspace {
  fs::path dir;
  ~Workspace() {
    std::error_code ec;
    if (!dir.empty()) fs::remove_all(dir, ec);
  }
};
const fs::path& modelWorkspace() {
  static const Workspace ws = [] {
    std::string tmpl = (fs::temp_directory_path() / "cs-bench-models-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) return Workspace{};
    // Not from __FILE__: with CCACHE_BASEDIR (the Makefile sets it) that path is relative to
    // build/bench, and `make bench` runs from the checkout's root.
    const fs::path script = fs::path(COMFYSTREAM_SOURCE_DIR) / "scripts" / "make_test_models.py";
    const std::string cmd = "/usr/bin/python3 '" + script.string() + "' '" + tmpl + "'" +
                            (torchScriptCompiledIn() ? " --torch" : "") + " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) {
      std::error_code ec;
      fs::remove_all(tmpl, ec);
      return Workspace{};
    }
    return Workspace{fs::path(tmpl)};
  }();
  return ws.dir;
}

void BM_ModelNode(benchmark::State& state, const char* node, const char* model) {
  if (modelWorkspace().empty()) {
    state.SkipWithError("scripts/make_test_models.py failed (python3-onnx missing?)");
    return;
  }
  nlohmann::json prompt = {
      {"1", {{"class_type", "LoadTensor"}, {"inputs", nlohmann::json::object()}}},
      {"9", {{"class_type", "SaveTensor"}, {"inputs", {{"images", {"3", 0}}}}}}};
  if (std::string(node) == "DepthAnythingTensorrt") {
    prompt["3"] = {{"class_type", node}, {"inputs", {{"images", {"1", 0}}, {"engine", model}}}};
  } else {
    prompt["2"] = {{"class_type", "UpscaleModelLoader"}, {"inputs", {{"model_name", model}}}};
    prompt["3"] = {{"class_type", node},
                   {"inputs", {{"upscale_model", {"2", 0}}, {"image", {"1", 0}}}}};
  }
  ModelStore store{modelWorkspace()};
  NodeContext ctx;
  ctx.models = &store;
  ctx.width = static_cast<int>(state.range(0));
  ctx.height = static_cast<int>(state.range(1));
  std::unique_ptr<CompiledGraph> graph;
  try {
    graph = CompiledGraph::compile(prompt, NodeRegistry::builtin(), ctx);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  cv::Mat in(ctx.height, ctx.width, CV_8UC3);
  cv::randu(in, 0, 256);
  for (auto _ : state) {
    cv::Mat out;
    FrameContext f;
    f.inputImage = &in;
    f.outputImage = &out;
    graph->run(f);
    if (out.empty()) {
      state.SkipWithError("the graph gave no frame");
      return;
    }
    benchmark::DoNotOptimize(out.data);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_ModelNode, upscale_conv3x3_onnx, "ImageUpscaleWithModel", "conv3x3.onnx")
    ->Args({512, 512})
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ModelNode, upscale_invert_up2x_onnx, "ImageUpscaleWithModel",
                  "invert_up2x.onnx")
    ->Args({512, 512})
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ModelNode, depth_anything_tiny_onnx, "DepthAnythingTensorrt",
                  "tiny_depth.onnx")
    ->Args({512, 512})
    ->Unit(benchmark::kMillisecond);
#if HAVE_TORCH
BENCHMARK_CAPTURE(BM_ModelNode, upscale_conv3x3_torchscript, "ImageUpscaleWithModel", "conv3x3.pt")
    ->Args({512, 512})
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ModelNode, depth_anything_tiny_torchscript, "DepthAnythingTensorrt",
                  "tiny_depth.pt")
    ->Args({512, 512})
    ->Unit(benchmark::kMillisecond);
#endif

}  // namespace
}  // namespace cs
