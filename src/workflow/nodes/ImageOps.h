#pragma once
// Pixel operations shared by the native image nodes, with ComfyUI's exact semantics on 8-bit RGB
// (a ComfyUI formula f on float [0,1] becomes round(255 * f(x / 255))).
#include <opencv2/core.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "workflow/Limits.h"

namespace cs::imageops {

// The media-path half of the workflow limits: a node calls this from run() before it allocates a
// w × h output. false (the frame is dropped, counted; one log line per 5 s) when the size is over
// the limits.
bool admitImage(const WorkflowLimits& limits, int64_t w, int64_t h, const char* node);

// ComfyUI's nodes.MAX_RESOLUTION.
constexpr int kMaxResolution = 16384;

// Python's round(): to nearest, ties to even (the default floating-point rounding mode).
inline int pyRound(double v) {
  return static_cast<int>(std::nearbyint(v));
}

// comfy.utils.common_upscale's methods, in ComfyUI's order (ImageScale's upscale_method).
enum class Upscale { NearestExact, Bilinear, Area, Bicubic, Lanczos };
const std::vector<std::string>& upscaleMethodNames();
Upscale parseUpscale(const std::string& name);

// common_upscale's crop == "center": the centred window of `in` with the aspect ratio of `out`
// (x/y offsets rounded as Python does).
cv::Rect centerCropRect(cv::Size in, cv::Size out);

// comfy.utils.common_upscale on one 8-bit RGB image:
//   nearest-exact, bilinear, bicubic, area: torch.nn.functional.interpolate (align_corners=False,
//     no antialias; area = adaptive average pooling);
//   lanczos: Pillow's Image.resize(LANCZOS), bit-exact (ComfyUI round-trips through PIL there).
// bilinear and bicubic use cv::resize (same sampling grid and A=-0.75 cubic as torch; OpenCV's
// fixed-point weights may differ from torch's float result by one code value); the others are
// exact. Keeps its coefficient tables and scratch buffers between calls (no steady-state
// allocation when sizes do not change).
class Resampler {
 public:
  void resize(const cv::Mat& src, cv::Size out, Upscale method, bool centerCrop, cv::Mat& dst);

  // Per output index: first input index, tap count, weights (stride = widest filter).
  struct Taps {
    int in = -1, out = -1;
    int stride = 0;
    std::vector<int> start, count;
    std::vector<float> wf;    // area: torch adaptive_avg_pool weights
    std::vector<int32_t> wi;  // lanczos: Pillow's 22-bit fixed-point weights
  };

 private:
  void nearestExact(const cv::Mat& src, cv::Size out, cv::Mat& dst);
  void area(const cv::Mat& src, cv::Size out, cv::Mat& dst);
  void lanczos(const cv::Mat& src, cv::Size out, cv::Mat& dst);

  std::vector<int> nearestX_, nearestY_;
  int nearestKey_[4] = {-1, -1, -1, -1};
  Taps areaH_, areaV_, lanczosH_, lanczosV_;
  cv::Mat tmpF_, tmpU8_;
  std::vector<float> accF_;
  std::vector<int32_t> accI_;
};

// The taps themselves, exposed for tests.
void buildAreaTaps(int in, int out, Resampler::Taps& t);
void buildLanczosTaps(int in, int out, Resampler::Taps& t);

// ComfyUI's gaussian_kernel(2r+1, sigma) (nodes_post_processing): exp(-d²/2σ²) over
// linspace(-1, 1, 2r+1)², normalised. It is separable; this is its 1-D factor (sums to 1), CV_32F.
cv::Mat comfyGaussianKernel1d(int radius, double sigma);

// What nodes accept as an IMAGE / MASK value; anything else (an empty frame) yields an empty
// output.
inline bool isImage(const cv::Mat& m) {
  return !m.empty() && m.type() == CV_8UC3;
}
inline bool isMask(const cv::Mat& m) {
  return !m.empty() && m.type() == CV_32FC1;
}

// Saturating float → u8, rounding to nearest (ties up); any float, NaN gives 0.
inline uint8_t toU8(float v) {
  if (!(v > 0.f)) return 0;
  if (v >= 255.f) return 255;
  return static_cast<uint8_t>(static_cast<int>(v + 0.5f));
}

// The same for loops GCC should vectorise (it will not vectorise a float clamp without
// -ffinite-math-only): clamps after the int conversion, so |v| must stay below 2^30.
inline uint8_t toU8Bounded(float v) {
  int k = static_cast<int>(v + 0.5f);
  k = k < 0 ? 0 : k;
  k = k > 255 ? 255 : k;
  return static_cast<uint8_t>(k);
}

}  // namespace cs::imageops
