// Mask operations with ComfyUI's semantics (comfy_extras/nodes_mask.py); MASK = float [0,1].
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>

#include "workflow/NodeRegistry.h"
#include "workflow/nodes/ImageOps.h"

namespace cs {
namespace {

using imageops::isImage;
using imageops::isMask;
using imageops::kMaxResolution;

int clampInt(int64_t v, int lo, int hi) {
  return static_cast<int>(std::min<int64_t>(std::max<int64_t>(v, lo), hi));
}

// x / 255 in float32, as ComfyUI's IMAGE holds it.
const std::array<float, 256>& unitTable() {
  static const std::array<float, 256> t = [] {
    std::array<float, 256> a{};
    for (int i = 0; i < 256; ++i) a[i] = static_cast<float>(i) / 255.f;
    return a;
  }();
  return t;
}

// ComfyUI ImageToMask: one channel as the mask.
class ImageToMask final : public Node {
 public:
  static const std::vector<std::string>& channels() {
    static const std::vector<std::string> c{"red", "green", "blue", "alpha"};
    return c;
  }

  void run(const NodeArgs& in, std::vector<Value>& out, FrameContext&) override {
    const cv::Mat& src = in.image(0);
    const auto it = std::find(channels().begin(), channels().end(), in.text(1));
    if (!isImage(src) || it == channels().end()) {
      out[0] = Mask{};
      return;
    }
    const int c = static_cast<int>(it - channels().begin());
    buf_.create(src.size(), CV_32FC1);
    if (c == 3) {
      buf_.setTo(1.0);  // frames carry no alpha: every pixel is opaque
    } else {
      const float* t = unitTable().data();
      for (int y = 0; y < src.rows; ++y) {
        const uint8_t* s = src.ptr<uint8_t>(y) + c;
        float* d = buf_.ptr<float>(y);
        for (int x = 0; x < src.cols; ++x) d[x] = t[s[3 * x]];
      }
    }
    out[0] = Mask{buf_};
  }

 private:
  cv::Mat buf_;
};

// ComfyUI MaskToImage: the mask in all three channels.
class MaskToImage final : public Node {
 public:
  void run(const NodeArgs& in, std::vector<Value>& out, FrameContext&) override {
    const cv::Mat& m = in.mask(0);
    if (!isMask(m)) {
      out[0] = Image{};
      return;
    }
    m.convertTo(grey_, CV_8U, 255.0);  // rounded, saturated
    cv::cvtColor(grey_, buf_, cv::COLOR_GRAY2RGB);
    out[0] = Image{buf_};
  }

 private:
  cv::Mat grey_, buf_;
};

// ComfyUI InvertMask: 1 - mask.
class InvertMask final : public Node {
 public:
  void run(const NodeArgs& in, std::vector<Value>& out, FrameContext&) override {
    const cv::Mat& m = in.mask(0);
    if (!isMask(m)) {
      out[0] = Mask{};
      return;
    }
    cv::subtract(cv::Scalar(1.0), m, buf_);
    out[0] = Mask{buf_};
  }

 private:
  cv::Mat buf_;
};

// ComfyUI ThresholdMask: 1 where mask > value (compared in float32), else 0.
class ThresholdMask final : public Node {
 public:
  void run(const NodeArgs& in, std::vector<Value>& out, FrameContext&) override {
    const cv::Mat& m = in.mask(0);
    if (!isMask(m)) {
      out[0] = Mask{};
      return;
    }
    const double v = static_cast<float>(in.number(1));  // torch compares in the mask's float32
    cv::threshold(m, buf_, v, 1.0, cv::THRESH_BINARY);
    out[0] = Mask{buf_};
  }

 private:
  cv::Mat buf_;
};

// ComfyUI SolidMask: a constant mask.
class SolidMask final : public Node {
 public:
  void configure(const NodeArgs&, NodeContext& ctx) override { limits_ = ctx.limits; }
  void run(const NodeArgs& in, std::vector<Value>& out, FrameContext&) override {
    const float v = static_cast<float>(in.number(0));
    const int w = clampInt(in.integer(1), 1, kMaxResolution),
              h = clampInt(in.integer(2), 1, kMaxResolution);
    if (!imageops::admitImage(limits_, w, h, "SolidMask")) {
      out[0] = Mask{};
      return;
    }
    if (w != buf_.cols || h != buf_.rows || v != value_) {
      buf_.create(h, w, CV_32FC1);
      buf_.setTo(v);
      value_ = v;
    }
    out[0] = Mask{buf_};
  }

 private:
  float value_ = -1;
  cv::Mat buf_;
  WorkflowLimits limits_;
};

// ComfyUI GrowMask: |expand| grey dilations (expand > 0) or erosions (< 0) with a 3x3 cross
// (tapered_corners) or square, as scipy.ndimage's grey_dilation / grey_erosion.
class GrowMask final : public Node {
 public:
  void run(const NodeArgs& in, std::vector<Value>& out, FrameContext&) override {
    const cv::Mat& m = in.mask(0);
    if (!isMask(m)) {
      out[0] = Mask{};
      return;
    }
    const int64_t expand = in.integer(1);
    if (expand == 0) {
      out[0] = Mask{m};
      return;
    }
    // After rows + cols steps every pixel has seen every other: more steps change nothing.
    const int steps = static_cast<int>(std::min<int64_t>(std::llabs(expand), m.rows + m.cols));
    const cv::Mat& kernel = in.boolean(2) ? cross_ : square_;
    if (expand > 0)
      cv::dilate(m, buf_, kernel, cv::Point(-1, -1), steps,
                 cv::BORDER_CONSTANT | cv::BORDER_ISOLATED);
    else
      cv::erode(m, buf_, kernel, cv::Point(-1, -1), steps,
                cv::BORDER_CONSTANT | cv::BORDER_ISOLATED);
    out[0] = Mask{buf_};
  }

 private:
  cv::Mat cross_ = cv::getStructuringElement(cv::MORPH_CROSS, {3, 3});
  cv::Mat square_ = cv::getStructuringElement(cv::MORPH_RECT, {3, 3});
  cv::Mat buf_;
};

// ComfyUI CropMask: mask[y:y+height, x:x+width] (Python slicing: clipped at the edges; a window
// starting past the edge is empty, and an empty mask drops the frame).
class CropMask final : public Node {
 public:
  void run(const NodeArgs& in, std::vector<Value>& out, FrameContext&) override {
    const cv::Mat& m = in.mask(0);
    const int x = clampInt(in.integer(1), 0, kMaxResolution),
              y = clampInt(in.integer(2), 0, kMaxResolution);
    const int w = clampInt(in.integer(3), 1, kMaxResolution),
              h = clampInt(in.integer(4), 1, kMaxResolution);
    if (!isMask(m) || x >= m.cols || y >= m.rows) {
      out[0] = Mask{};
      return;
    }
    m(cv::Rect(x, y, std::min(w, m.cols - x), std::min(h, m.rows - y))).copyTo(buf_);
    out[0] = Mask{buf_};
  }

 private:
  cv::Mat buf_;
};

// ComfyUI FeatherMask: linear ramps on each edge, with ComfyUI's indexing reproduced exactly.
class FeatherMask final : public Node {
 public:
  void run(const NodeArgs& in, std::vector<Value>& out, FrameContext&) override {
    const cv::Mat& m = in.mask(0);
    if (!isMask(m)) {
      out[0] = Mask{};
      return;
    }
    m.copyTo(buf_);
    const int W = buf_.cols, H = buf_.rows;
    const int left = std::min(clampInt(in.integer(1), 0, kMaxResolution), W);
    const int top = std::min(clampInt(in.integer(2), 0, kMaxResolution), H);
    const int right = std::min(clampInt(in.integer(3), 0, kMaxResolution), W);
    const int bottom = std::min(clampInt(in.integer(4), 0, kMaxResolution), H);
    auto scaleCol = [&](int c, double rate) {
      const float f = static_cast<float>(rate);
      for (int r = 0; r < H; ++r) buf_.ptr<float>(r)[c] *= f;
    };
    auto scaleRow = [&](int r, double rate) {
      const float f = static_cast<float>(rate);
      float* p = buf_.ptr<float>(r);
      for (int c = 0; c < W; ++c) p[c] *= f;
    };
    // Python's output[:, -x] with x = 0 is column 0, so the right ramp starts by scaling the
    // first column by 1/right and ends one column short of the right edge: kept as in ComfyUI.
    for (int x = 0; x < left; ++x) scaleCol(x, (x + 1.0) / left);
    for (int x = 0; x < right; ++x) scaleCol(x == 0 ? 0 : W - x, (x + 1.0) / right);
    for (int y = 0; y < top; ++y) scaleRow(y, (y + 1.0) / top);
    for (int y = 0; y < bottom; ++y) scaleRow(y == 0 ? 0 : H - y, (y + 1.0) / bottom);
    out[0] = Mask{buf_};
  }

 private:
  cv::Mat buf_;
};

// ComfyUI MaskComposite: combines source into destination at (x, y), then clamps to [0, 1].
class MaskComposite final : public Node {
 public:
  static const std::vector<std::string>& operations() {
    static const std::vector<std::string> o{"multiply", "add", "subtract", "and", "or", "xor"};
    return o;
  }

  void run(const NodeArgs& in, std::vector<Value>& out, FrameContext&) override {
    const cv::Mat& dst = in.mask(0);
    const cv::Mat& src = in.mask(1);
    const auto it = std::find(operations().begin(), operations().end(), in.text(4));
    if (!isMask(dst) || !isMask(src) || it == operations().end()) {
      out[0] = Mask{};
      return;
    }
    const int op = static_cast<int>(it - operations().begin());
    const int x = clampInt(in.integer(2), 0, kMaxResolution),
              y = clampInt(in.integer(3), 0, kMaxResolution);
    dst.copyTo(buf_);
    const int vw = std::min(x + src.cols, dst.cols) - x, vh = std::min(y + src.rows, dst.rows) - y;
    // and/or/xor test round(v) != 0, with torch's half-to-even rounding: |v| > 0.5.
    auto on = [](float v) { return std::fabs(v) > 0.5f; };
    for (int r = 0; r < vh; ++r) {
      const float* s = src.ptr<float>(r);
      float* d = buf_.ptr<float>(y + r) + x;
      for (int c = 0; c < vw; ++c) {
        switch (op) {
          case 0:
            d[c] = d[c] * s[c];
            break;
          case 1:
            d[c] = d[c] + s[c];
            break;
          case 2:
            d[c] = d[c] - s[c];
            break;
          case 3:
            d[c] = (on(d[c]) && on(s[c])) ? 1.f : 0.f;
            break;
          case 4:
            d[c] = (on(d[c]) || on(s[c])) ? 1.f : 0.f;
            break;
          case 5:
            d[c] = (on(d[c]) != on(s[c])) ? 1.f : 0.f;
            break;
        }
      }
    }
    cv::min(buf_, 1.0, buf_);
    cv::max(buf_, 0.0, buf_);
    out[0] = Mask{buf_};
  }

 private:
  cv::Mat buf_;
};

// ComfyUI ImageColorToMask: 1 where the pixel is exactly 0xRRGGBB.
class ImageColorToMask final : public Node {
 public:
  void run(const NodeArgs& in, std::vector<Value>& out, FrameContext&) override {
    const cv::Mat& src = in.image(0);
    if (!isImage(src)) {
      out[0] = Mask{};
      return;
    }
    const int64_t color = in.integer(1);
    const uint8_t R = (color >> 16) & 0xFF, G = (color >> 8) & 0xFF, B = color & 0xFF;
    const bool inRange = color >= 0 && color <= 0xFFFFFF;
    buf_.create(src.size(), CV_32FC1);
    for (int y = 0; y < src.rows; ++y) {
      const uint8_t* s = src.ptr<uint8_t>(y);
      float* d = buf_.ptr<float>(y);
      for (int x = 0; x < src.cols; ++x)
        d[x] = (inRange && s[3 * x] == R && s[3 * x + 1] == G && s[3 * x + 2] == B) ? 1.f : 0.f;
    }
    out[0] = Mask{buf_};
  }

 private:
  cv::Mat buf_;
};

}  // namespace

void registerMaskNodes(NodeRegistry& r) {
  NodeSpec toMask{"ImageToMask", "mask",
                  "One channel of the image as a mask (value / 255), as ComfyUI's ImageToMask."};
  toMask.image("image")
      .doc("Image to take the channel from.")
      .combo("channel", ImageToMask::channels())
      .doc(
          "Channel to use. Frames have no alpha channel, so alpha gives an all-1 (opaque) mask; "
          "ComfyUI "
          "fails on alpha for an RGB image.")
      .output("MASK", ValueType::Mask);
  r.add(toMask, [] { return std::make_unique<ImageToMask>(); });

  NodeSpec toImage{"MaskToImage", "mask",
                   "The mask as a grey image (all three channels), as ComfyUI's MaskToImage."};
  toImage.mask("mask")
      .doc("Mask to show; values outside [0, 1] saturate.")
      .output("IMAGE", ValueType::Image);
  r.add(toImage, [] { return std::make_unique<MaskToImage>(); });

  NodeSpec invert{"InvertMask", "mask", "1 − mask, as ComfyUI's InvertMask."};
  invert.mask("mask").doc("Mask to invert.").output("MASK", ValueType::Mask);
  r.add(invert, [] { return std::make_unique<InvertMask>(); });

  NodeSpec threshold{"ThresholdMask", "mask",
                     "1 where mask > value, else 0, as ComfyUI's ThresholdMask."};
  threshold.mask("mask")
      .doc("Mask to threshold.")
      .number("value", 0.5, 0.0, 1.0)
      .doc("Threshold; values equal to it become 0.")
      .output("MASK", ValueType::Mask);
  r.add(threshold, [] { return std::make_unique<ThresholdMask>(); });

  NodeSpec solid{"SolidMask", "mask", "A constant mask, as ComfyUI's SolidMask."};
  solid.number("value", 1.0, 0.0, 1.0)
      .doc("Value of every pixel.")
      .integer("width", 512, 1, kMaxResolution)
      .sizes(SizeRole::Width)
      .doc("Width in pixels.")
      .integer("height", 512, 1, kMaxResolution)
      .sizes(SizeRole::Height)
      .doc("Height in pixels.")
      .output("MASK", ValueType::Mask);
  r.add(solid, [] { return std::make_unique<SolidMask>(); });

  NodeSpec grow{"GrowMask", "mask",
                "Grows (expand > 0) or shrinks (expand < 0) the mask by |expand| pixels, as "
                "ComfyUI's GrowMask: "
                "repeated 3x3 grey dilation / erosion."};
  grow.mask("mask")
      .doc("Mask to grow or shrink.")
      .integer("expand", 0, -kMaxResolution, kMaxResolution)
      .sizes(SizeRole::Extent)
      .doc("Pixels to grow by; negative shrinks.")
      .boolean("tapered_corners", true)
      .doc("true: a cross-shaped step (rounded corners); false: square steps.")
      .output("MASK", ValueType::Mask);
  r.add(grow, [] { return std::make_unique<GrowMask>(); });

  NodeSpec crop{"CropMask", "mask",
                "The width × height window of the mask at (x, y), clipped at the edges, as "
                "ComfyUI's CropMask. "
                "A window starting past the edge is empty, which drops the frame."};
  crop.mask("mask")
      .doc("Mask to crop.")
      .integer("x", 0, 0, kMaxResolution)
      .sizes(SizeRole::Extent)
      .doc("Left column of the window.")
      .integer("y", 0, 0, kMaxResolution)
      .sizes(SizeRole::Extent)
      .doc("Top row of the window.")
      .integer("width", 512, 1, kMaxResolution)
      .sizes(SizeRole::Extent)
      .doc("Window width (clipped at the right edge).")
      .integer("height", 512, 1, kMaxResolution)
      .sizes(SizeRole::Extent)
      .doc("Window height (clipped at the bottom edge).")
      .output("MASK", ValueType::Mask);
  r.add(crop, [] { return std::make_unique<CropMask>(); });

  NodeSpec feather{
      "FeatherMask", "mask",
      "Fades the mask towards each edge, as ComfyUI's FeatherMask: the i-th column from the left "
      "(counting from 1) is multiplied by i / left, and likewise for top. ComfyUI's indexing of "
      "the "
      "right and bottom ramps is kept exactly: the first column is multiplied by 1 / right and the "
      "last right − 1 columns, from the edge inwards, by 2 / right … right / right (rows "
      "likewise)."};
  feather.mask("mask")
      .doc("Mask to feather.")
      .integer("left", 0, 0, kMaxResolution)
      .sizes(SizeRole::Extent)
      .doc("Ramp width at the left edge.")
      .integer("top", 0, 0, kMaxResolution)
      .sizes(SizeRole::Extent)
      .doc("Ramp height at the top edge.")
      .integer("right", 0, 0, kMaxResolution)
      .sizes(SizeRole::Extent)
      .doc("Ramp width at the right edge.")
      .integer("bottom", 0, 0, kMaxResolution)
      .sizes(SizeRole::Extent)
      .doc("Ramp height at the bottom edge.")
      .output("MASK", ValueType::Mask);
  r.add(feather, [] { return std::make_unique<FeatherMask>(); });

  NodeSpec comp{
      "MaskComposite", "mask",
      "Combines source into destination with its top-left corner at (x, y), as ComfyUI's "
      "MaskComposite; the result is clamped to [0, 1]. and/or/xor treat values above 0.5 as on."};
  comp.mask("destination")
      .doc("Base mask; sets the output size.")
      .mask("source")
      .doc("Mask combined into the destination (cut off at the destination's edges).")
      .integer("x", 0, 0, kMaxResolution)
      .sizes(SizeRole::Extent)
      .doc("Column of the source's left edge.")
      .integer("y", 0, 0, kMaxResolution)
      .sizes(SizeRole::Extent)
      .doc("Row of the source's top edge.")
      .combo("operation", MaskComposite::operations())
      .doc("How source and destination values combine.")
      .output("MASK", ValueType::Mask);
  r.add(comp, [] { return std::make_unique<MaskComposite>(); });

  NodeSpec colorMask{
      "ImageColorToMask", "mask",
      "1 where the pixel is exactly the given colour, else 0, as ComfyUI's ImageColorToMask."};
  colorMask.image("image")
      .doc("Image to key.")
      .integer("color", 0, 0, 0xFFFFFF)
      .doc("Colour as an integer 0xRRGGBB.")
      .output("MASK", ValueType::Mask);
  r.add(colorMask, [] { return std::make_unique<ImageColorToMask>(); });
}

}  // namespace cs
