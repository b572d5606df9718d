#pragma once
// Audio nodes outside a graph (inputs by name, absent ones defaulted, a FrameContext per run) and
// signal measurements for the tests.
#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include <cmath>
#include <map>
#include <memory>
#include <numbers>
#include <string>
#include <vector>

#include "workflow/NodeRegistry.h"
#include "workflow/NodeRunner.h"

namespace cs::test {

class AudioNodeHarness {
 public:
  AudioNodeHarness(const std::string& type, std::map<std::string, Value> inputs)
      : runner_("harness", type) {
    entry_ = NodeRegistry::builtin().find(type);
    if (!entry_) throw std::runtime_error("no node " + type);
    const NodeSpec& spec = entry_->spec;
    values_.resize(spec.inputs.size());
    for (size_t i = 0; i < spec.inputs.size(); ++i) {
      auto it = inputs.find(spec.inputs[i].name);
      values_[i] = it != inputs.end() ? it->second : spec.inputs[i].defaultValue;
      if (it != inputs.end()) inputs.erase(it);
    }
    if (!inputs.empty()) throw std::runtime_error(type + " has no input " + inputs.begin()->first);
    node_ = entry_->make();
    static const Value kUnset{};
    std::vector<const Value*> literals;
    for (size_t i = 0; i < values_.size(); ++i)
      literals.push_back(spec.inputs[i].type == ValueType::Audio ? &kUnset : &values_[i]);
    NodeContext ctx;
    node_->configure(NodeArgs(literals), ctx);
    outputs_.resize(spec.outputs.size());
  }

  void set(const std::string& name, Value v) {
    const int i = entry_->spec.inputIndex(name);
    if (i < 0) throw std::runtime_error("no input " + name);
    values_[static_cast<size_t>(i)] = std::move(v);
  }

  // One run with `in` as the stream's chunk (nullptr: none); returns what it output on slot 0.
  const Audio& run(const Audio* in = nullptr, Audio* sink = nullptr) {
    std::vector<const Value*> ptrs;
    for (auto& v : values_) ptrs.push_back(&v);
    FrameContext frame;
    frame.inputAudio = in;
    frame.outputAudio = sink;
    runner_.run(*node_, NodeArgs(ptrs), outputs_, frame);  // as the graph runs it
    static const Audio kNone{};
    return outputs_.empty() || !std::holds_alternative<Audio>(outputs_[0])
               ? kNone
               : std::get<Audio>(outputs_[0]);
  }

 private:
  const NodeRegistry::Entry* entry_ = nullptr;
  std::unique_ptr<Node> node_;
  NodeRunner runner_;  // runs the node as CompiledGraph does
  std::vector<Value> values_;
  std::vector<Value> outputs_;
};

inline Audio sine(double hz, size_t n, int sr = 48000, double amp = 0.5, size_t offset = 0) {
  Audio a;
  a.sampleRate = sr;
  a.samples.resize(n);
  for (size_t i = 0; i < n; ++i)
    a.samples[i] = static_cast<float>(
        amp * std::sin(2 * std::numbers::pi * hz * static_cast<double>(i + offset) / sr));
  return a;
}

// The strongest frequency of samples[from, to): Hann window, FFT zero-padded to 2^17, parabolic
// interpolation of the log magnitude around the peak.
inline double dominantHz(const std::vector<float>& s, int sr, size_t from = 0,
                         size_t to = SIZE_MAX) {
  to = std::min(to, s.size());
  const int n = static_cast<int>(to - from), N = 1 << 17;
  cv::Mat x = cv::Mat::zeros(1, N, CV_32F);
  for (int i = 0; i < n; ++i)
    x.at<float>(i) = s[from + static_cast<size_t>(i)] *
                     static_cast<float>(0.5 - 0.5 * std::cos(2 * std::numbers::pi * i / (n - 1)));
  cv::Mat X;
  cv::dft(x, X, cv::DFT_COMPLEX_OUTPUT);
  std::vector<double> mag(N / 2 + 1);
  for (int k = 0; k <= N / 2; ++k)
    mag[k] = std::hypot(X.at<cv::Vec2f>(k)[0], X.at<cv::Vec2f>(k)[1]);
  int best = 1;
  for (int k = 1; k < N / 2; ++k)
    if (mag[k] > mag[best]) best = k;
  const double a = std::log(mag[best - 1] + 1e-20), b = std::log(mag[best] + 1e-20),
               c = std::log(mag[best + 1] + 1e-20);
  const double delta = 0.5 * (a - c) / (a - 2 * b + c);
  return (best + delta) * sr / N;
}

inline double rms(const std::vector<float>& s, size_t from = 0, size_t to = SIZE_MAX) {
  to = std::min(to, s.size());
  double sum = 0;
  for (size_t i = from; i < to; ++i) sum += static_cast<double>(s[i]) * s[i];
  return to > from ? std::sqrt(sum / static_cast<double>(to - from)) : 0;
}

inline bool allFinite(const std::vector<float>& s) {
  for (float v : s)
    if (!std::isfinite(v)) return false;
  return true;
}

inline double semitones(double hz, double n) {
  return hz * std::pow(2.0, n / 12.0);
}

}  // namespace cs::test
