// Image operations with ComfyUI's semantics, on 8-bit RGB (OpenCV imgproc).
#include <opencv2/core.hpp>

#include "workflow/NodeRegistry.h"

namespace cs {
namespace {

// ComfyUI ImageInvert: 1 - x.
class ImageInvert final : public Node {
 public:
  void run(const NodeArgs& in, std::vector<Value>& out, FrameContext&) noexcept override {
    cv::bitwise_not(in.image(0), buf_);
    out[0] = Image{buf_};
  }

 private:
  cv::Mat buf_;
};

}  // namespace

void registerImageNodes(NodeRegistry& r) {
  NodeSpec invert{"ImageInvert", "image", "1 - x on every channel."};
  invert.image("image").output("IMAGE", ValueType::Image);
  r.add(invert, [] { return std::make_unique<ImageInvert>(); });
}

}  // namespace cs
