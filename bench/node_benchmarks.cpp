// ms/frame of every native node in the registry, at 512x512 and 1280x720: each node runs with
// its IMAGE/MASK inputs bound to a test picture and every widget at its default.
#include <benchmark/benchmark.h>

#include <cmath>
#include <memory>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "workflow/NodeRegistry.h"

namespace cs {
namespace {

bool benchmarkable(const NodeSpec& spec) {
  if (spec.outputNode || spec.inputs.empty()) return false;
  for (const auto& in : spec.inputs)
    if (in.type == ValueType::Model) return false;
  return true;
}

bool takesAudio(const NodeSpec& spec) {
  for (const auto& in : spec.inputs)
    if (in.type == ValueType::Audio) return true;
  return false;
}

// Half a second of a 440 Hz tone at 48 kHz: the original's default LoadAudioTensor block.
Audio toneBlock() {
  Audio a;
  a.samples.resize(24000);
  for (size_t i = 0; i < a.samples.size(); ++i)
    a.samples[i] = 0.3f * static_cast<float>(std::sin(2 * 3.14159265358979 * 440.0 * i / 48000.0));
  return a;
}

void runNode(benchmark::State& state, const NodeRegistry::Entry* entry, int w, int h) {
  cv::Mat rgb(h, w, CV_8UC3);
  cv::randu(rgb, 0, 255);
  cv::GaussianBlur(rgb, rgb, cv::Size(9, 9), 3);  // picture-like, not noise
  cv::Mat mask(h, w, CV_32FC1);
  cv::randu(mask, 0.0f, 1.0f);
  std::vector<Value> values(entry->spec.inputs.size());
  std::vector<const Value*> ptrs, literalPtrs;
  static const Value kUnset{};
  for (size_t i = 0; i < entry->spec.inputs.size(); ++i) {
    const auto& in = entry->spec.inputs[i];
    if (in.type == ValueType::Image)
      values[i] = Image{rgb};
    else if (in.type == ValueType::Mask)
      values[i] = Mask{mask};
    else if (in.type == ValueType::Audio)
      values[i] = toneBlock();
    else
      values[i] = in.defaultValue;
    const bool linked =
        in.type == ValueType::Image || in.type == ValueType::Mask || in.type == ValueType::Audio;
    ptrs.push_back(&values[i]);
    literalPtrs.push_back(linked ? &kUnset : &values[i]);
  }
  auto node = entry->make();
  NodeContext ctx;
  ctx.width = w;
  ctx.height = h;
  try {
    node->configure(NodeArgs(literalPtrs), ctx);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  NodeArgs args(ptrs);
  std::vector<Value> outputs(entry->spec.outputs.size());
  FrameContext frame;
  frame.inputImage = &rgb;
  for (auto _ : state) {
    node->run(args, outputs, frame);
    benchmark::ClobberMemory();
  }
}

const bool kRegistered = [] {
  const NodeRegistry& r = NodeRegistry::builtin();
  for (const auto& type : r.classTypes()) {
    const auto* entry = r.find(type);
    if (!benchmarkable(entry->spec)) continue;
    if (takesAudio(entry->spec)) {  // one 500 ms block; the picture size does not matter
      benchmark::RegisterBenchmark(("BM_Node/" + type + "/500ms-block").c_str(),
                                   [entry](benchmark::State& s) { runNode(s, entry, 16, 16); })
          ->Unit(benchmark::kMillisecond);
      continue;
    }
    for (auto [w, h] : {std::pair{512, 512}, std::pair{1280, 720}})
      benchmark::RegisterBenchmark(
          ("BM_Node/" + type + "/" + std::to_string(w) + "x" + std::to_string(h)).c_str(),
          [entry, w = w, h = h](benchmark::State& s) { runNode(s, entry, w, h); })
          ->Unit(benchmark::kMillisecond);
  }
  return true;
}();

}  // namespace
}  // namespace cs
