#pragma once
// Runs one registered node outside a graph: inputs by name (absent ones take their spec default),
// configure() with the literal ones as the compiler would, then run() as often as wanted.
#include <gtest/gtest.h>

#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "workflow/NodeRegistry.h"
#include "workflow/NodeRunner.h"

namespace cs::test {

class NodeHarness {
 public:
  NodeHarness(const std::string& type, std::map<std::string, Value> inputs)
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
    // configure() sees literals only: IMAGE/MASK inputs are links.
    static const Value kUnset{};
    std::vector<const Value*> literals;
    for (size_t i = 0; i < values_.size(); ++i) {
      const ValueType t = spec.inputs[i].type;
      const bool linked = t == ValueType::Image || t == ValueType::Mask || t == ValueType::Audio ||
                          t == ValueType::Model;
      literals.push_back(linked ? &kUnset : &values_[i]);
    }
    NodeContext ctx;
    node_->configure(NodeArgs(literals), ctx);
    outputs_.resize(spec.outputs.size());
  }

  void set(const std::string& name, Value v) {
    const int i = entry_->spec.inputIndex(name);
    if (i < 0) throw std::runtime_error("no input " + name);
    values_[static_cast<size_t>(i)] = std::move(v);
  }

  NodeHarness& run() {
    std::vector<const Value*> ptrs;
    for (auto& v : values_) ptrs.push_back(&v);
    FrameContext frame;
    runner_.run(*node_, NodeArgs(ptrs), outputs_, frame);  // as the graph runs it
    return *this;
  }

  const cv::Mat& image(size_t i = 0) const { return std::get<Image>(outputs_.at(i)).rgb; }
  const cv::Mat& mask(size_t i = 0) const { return std::get<Mask>(outputs_.at(i)).alpha; }

 private:
  const NodeRegistry::Entry* entry_ = nullptr;
  std::unique_ptr<Node> node_;
  NodeRunner runner_;  // runs the node as CompiledGraph does
  std::vector<Value> values_;
  std::vector<Value> outputs_;
};

inline cv::Mat runImage(const std::string& type, std::map<std::string, Value> inputs) {
  NodeHarness h(type, std::move(inputs));
  return h.run().image().clone();
}
inline cv::Mat runMask(const std::string& type, std::map<std::string, Value> inputs) {
  NodeHarness h(type, std::move(inputs));
  return h.run().mask().clone();
}

// An h×w RGB image from row-major (r, g, b) triples, or filled with one colour.
inline cv::Mat rgb(int h, int w, std::initializer_list<int> v) {
  cv::Mat m(h, w, CV_8UC3);
  if (v.size() == 3) {
    auto it = v.begin();
    m.setTo(cv::Scalar(it[0], it[1], it[2]));
    return m;
  }
  EXPECT_EQ(v.size(), static_cast<size_t>(h * w * 3));
  auto it = v.begin();
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w * 3; ++x) m.ptr<uint8_t>(y)[x] = static_cast<uint8_t>(*it++);
  return m;
}

// An h×w grey RGB image whose value at (x, y) is f(x, y).
template <typename F>
cv::Mat greyImage(int h, int w, F f) {
  cv::Mat m(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const auto v = static_cast<uint8_t>(f(x, y));
      m.at<cv::Vec3b>(y, x) = {v, v, v};
    }
  return m;
}

// A deterministic pseudo-random RGB image.
inline cv::Mat noiseImage(int h, int w, unsigned seed = 1) {
  cv::Mat m(h, w, CV_8UC3);
  uint32_t s = seed * 2654435761u + 12345u;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w * 3; ++x) {
      s = s * 1664525u + 1013904223u;
      m.ptr<uint8_t>(y)[x] = static_cast<uint8_t>(s >> 24);
    }
  return m;
}

inline cv::Mat maskOf(int h, int w, std::initializer_list<float> v) {
  cv::Mat m(h, w, CV_32FC1);
  if (v.size() == 1) {
    m.setTo(*v.begin());
    return m;
  }
  EXPECT_EQ(v.size(), static_cast<size_t>(h * w));
  auto it = v.begin();
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) m.at<float>(y, x) = *it++;
  return m;
}

inline Value img(const cv::Mat& m) {
  return Image{m};
}
inline Value msk(const cv::Mat& m) {
  return Mask{m};
}
inline Value i64(int64_t v) {
  return v;
}
inline Value f64(double v) {
  return v;
}
inline Value str(const char* s) {
  return std::string(s);
}

// Largest absolute per-element difference (any depth, same shape).
inline double maxDiff(const cv::Mat& a, const cv::Mat& b) {
  if (a.size() != b.size() || a.type() != b.type()) return 1e9;
  return cv::norm(a, b, cv::NORM_INF);
}

}  // namespace cs::test
