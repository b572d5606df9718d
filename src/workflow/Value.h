#pragma once
// Values that flow along a workflow's links, typed as in ComfyUI. IMAGE is 8-bit RGB (ComfyUI's
// float [0,1] IMAGE quantised: 4x cheaper, same semantics to within one code value); MASK is float
// [0,1], as ComfyUI's, since masks are thresholded and blended.
#include <opencv2/core.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace cs {

enum class ValueType { Image, Mask, Int, Float, String, Boolean, Audio, Model, Combo };

// ComfyUI's type names ("IMAGE", "INT", …); Combo is "COMBO".
const char* typeName(ValueType t);

struct Image {
  cv::Mat rgb;  // CV_8UC3, RGB order
};
struct Mask {
  cv::Mat alpha;  // CV_32FC1 in [0, 1]
};
struct Audio {
  std::vector<float> samples;  // mono, [-1, 1]
  int sampleRate = 48000;
};
// A loaded model, shared by the nodes that use it (ComfyUI's MODEL-like handles).
struct ModelHandle {
  virtual ~ModelHandle() = default;
};

using Value = std::variant<std::monostate, Image, Mask, int64_t, double, std::string, bool, Audio,
                           std::shared_ptr<ModelHandle>>;

}  // namespace cs
