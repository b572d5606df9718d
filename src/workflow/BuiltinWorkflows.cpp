#include <algorithm>
#include <cstring>

#include "workflow/FrameWorkflow.h"

namespace cs {
namespace {

class Passthrough final : public FrameWorkflow {
 public:
  std::string_view name() const override { return "passthrough"; }
  bool passthrough() const override { return true; }
  void process(const I420View& in, const I420View& out) noexcept override {
    for (int p = 0; p < 3; ++p)
      for (int y = 0; y < in.planeHeight(p); ++y)
        std::memcpy(out.planes[p] + y * out.strides[p], in.planes[p] + y * in.strides[p],
                    static_cast<size_t>(in.planeWidth(p)));
  }
};

// ComfyUI's ImageInvert (1 - x in RGB), computed directly on limited-range YCbCr, where
// R'G'B' = 255 - RGB maps exactly to Y' = 16 + 235 - Y and C' = 256 - C (BT.601/709 alike, as
// the transform is linear with offsets 16 and 128). Saturates at the code-value limits.
class Invert final : public FrameWorkflow {
 public:
  std::string_view name() const override { return "invert"; }
  void process(const I420View& in, const I420View& out) noexcept override {
    for (int p = 0; p < 3; ++p) {
      const int w = in.planeWidth(p);
      for (int y = 0; y < in.planeHeight(p); ++y) {
        const uint8_t* s = in.planes[p] + y * in.strides[p];
        uint8_t* d = out.planes[p] + y * out.strides[p];
        // Branch-free (min/max then subtract) so the compiler vectorises the row.
        if (p == 0) {
          for (int x = 0; x < w; ++x) d[x] = static_cast<uint8_t>(251 - std::min<uint8_t>(s[x], 251));
        } else {
          // 256 - c wraps to the byte 0 - c; c = 0 saturates to 255 through max(c, 1).
          for (int x = 0; x < w; ++x) d[x] = static_cast<uint8_t>(0 - std::max<uint8_t>(s[x], 1));
        }
      }
    }
  }
};

}  // namespace

std::unique_ptr<FrameWorkflow> makeBuiltinWorkflow(std::string_view name) {
  if (name == "passthrough") return std::make_unique<Passthrough>();
  if (name == "invert") return std::make_unique<Invert>();
  return nullptr;
}

}  // namespace cs
