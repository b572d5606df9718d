// Geometry with ComfyUI's semantics: scaling (comfy.utils.common_upscale), crop, flip, rotate and
// compositing, on 8-bit RGB.
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>

#include "workflow/NodeRegistry.h"
#include "workflow/nodes/ImageOps.h"

namespace cs {
namespace {

using imageops::isImage;
using imageops::isMask;
using imageops::kMaxResolution;
using imageops::pyRound;
using imageops::toU8Bounded;

int clampInt(int64_t v, int lo, int hi) {
  return static_cast<int>(std::min<int64_t>(std::max<int64_t>(v, lo), hi));
}

// ComfyUI ImageScale: width/height 0 keeps the aspect ratio from the other; both 0 pass through.
class ImageScale final : public Node {
 public:
  void configure(const NodeArgs&, NodeContext& ctx) override { limits_ = ctx.limits; }
  void run(const NodeArgs& in, std::vector<Value>& out, FrameContext&) override {
    const cv::Mat& src = in.image(0);
    if (!isImage(src)) {
      out[0] = Image{};
      return;
    }
    const auto method = imageops::parseUpscale(in.text(1));
    int w = clampInt(in.integer(2), 0, kMaxResolution),
        h = clampInt(in.integer(3), 0, kMaxResolution);
    const bool center = in.text(4) == "center";
    if (w == 0 && h == 0) {
      out[0] = Image{src};
      return;
    }
    if (w == 0)
      w = std::max(1, pyRound(static_cast<double>(src.cols) * h / src.rows));
    else if (h == 0)
      h = std::max(1, pyRound(static_cast<double>(src.rows) * w / src.cols));
    if (!imageops::admitImage(limits_, w, h, "ImageScale")) {
      out[0] = Image{};
      return;
    }
    resampler_.resize(src, {w, h}, method, center, buf_);
    out[0] = Image{buf_};
  }

 private:
  imageops::Resampler resampler_;
  cv::Mat buf_;
  WorkflowLimits limits_;
};

// ComfyUI ImageScaleBy: size round(w·scale_by) × round(h·scale_by), no crop.
class ImageScaleBy final : public Node {
 public:
  void configure(const NodeArgs&, NodeContext& ctx) override { limits_ = ctx.limits; }
  void run(const NodeArgs& in, std::vector<Value>& out, FrameContext&) override {
    const cv::Mat& src = in.image(0);
    const double s = in.number(2);
    if (!isImage(src)) {
      out[0] = Image{};
      return;
    }
    const int w = pyRound(src.cols * s), h = pyRound(src.rows * s);
    if (w < 1 || h < 1 || !imageops::admitImage(limits_, w, h, "ImageScaleBy")) {
      // (torch fails on an empty size)
      out[0] = Image{};
      return;
    }
    resampler_.resize(src, {w, h}, imageops::parseUpscale(in.text(1)), false, buf_);
    out[0] = Image{buf_};
  }

 private:
  imageops::Resampler resampler_;
  cv::Mat buf_;
  WorkflowLimits limits_;
};

// ComfyUI ImageCrop: x, y clamped to the last column/row, the window clipped to the image.
class ImageCrop final : public Node {
 public:
  void run(const NodeArgs& in, std::vector<Value>& out, FrameContext&) override {
    const cv::Mat& src = in.image(0);
    if (!isImage(src)) {
      out[0] = Image{};
      return;
    }
    const int w = clampInt(in.integer(1), 1, kMaxResolution),
              h = clampInt(in.integer(2), 1, kMaxResolution);
    const int x = std::min(clampInt(in.integer(3), 0, kMaxResolution), src.cols - 1);
    const int y = std::min(clampInt(in.integer(4), 0, kMaxResolution), src.rows - 1);
    const cv::Rect r(x, y, std::min(w, src.cols - x), std::min(h, src.rows - y));
    src(r).copyTo(buf_);
    out[0] = Image{buf_};
  }

 private:
  cv::Mat buf_;
};

// ComfyUI ImageFlip (nodes_images): "x-axis" flips rows (upside down), "y-axis" flips columns.
class ImageFlip final : public Node {
 public:
  void run(const NodeArgs& in, std::vector<Value>& out, FrameContext&) override {
    const cv::Mat& src = in.image(0);
    const std::string& m = in.text(1);
    if (!isImage(src) || m.empty() || (m[0] != 'x' && m[0] != 'y')) {
      out[0] = Image{};
      return;
    }
    cv::flip(src, buf_, m[0] == 'x' ? 0 : 1);
    out[0] = Image{buf_};
  }

 private:
  cv::Mat buf_;
};

// ComfyUI ImageRotate: torch.rot90 over dims (W, H), i.e. clockwise.
class ImageRotate final : public Node {
 public:
  void run(const NodeArgs& in, std::vector<Value>& out, FrameContext&) override {
    const cv::Mat& src = in.image(0);
    const std::string& rot = in.text(1);
    if (!isImage(src)) {
      out[0] = Image{};
      return;
    }
    if (rot.starts_with("90"))
      cv::rotate(src, buf_, cv::ROTATE_90_CLOCKWISE);
    else if (rot.starts_with("180"))
      cv::rotate(src, buf_, cv::ROTATE_180);
    else if (rot.starts_with("270"))
      cv::rotate(src, buf_, cv::ROTATE_90_COUNTERCLOCKWISE);
    else {
      out[0] = Image{src};
      return;
    }
    out[0] = Image{buf_};
  }

 private:
  cv::Mat buf_;
};

// ComfyUI ImageCompositeMasked (nodes_mask.composite with multiplier 1): source pasted at (x, y),
// clipped to the destination; with a mask (bilinearly resized to the source's size), each pixel is
// mask·source + (1 − mask)·destination.
class ImageCompositeMasked final : public Node {
 public:
  void run(const NodeArgs& in, std::vector<Value>& out, FrameContext&) override {
    const cv::Mat& dst = in.image(0);
    const cv::Mat& src0 = in.image(1);
    const bool hasMask = in.present(5);
    if (!isImage(dst) || !isImage(src0) || (hasMask && !isMask(in.mask(5)))) {
      out[0] = Image{};
      return;
    }
    dst.copyTo(buf_);
    const cv::Mat* src = &src0;
    if (in.boolean(4) && src0.size() != dst.size()) {
      cv::resize(src0, resized_, dst.size(), 0, 0, cv::INTER_LINEAR);
      src = &resized_;
    }
    const int x = std::min(clampInt(in.integer(2), 0, kMaxResolution), dst.cols);
    const int y = std::min(clampInt(in.integer(3), 0, kMaxResolution), dst.rows);
    const int vw = std::min(src->cols, dst.cols - x), vh = std::min(src->rows, dst.rows - y);
    if (vw > 0 && vh > 0) {
      if (!hasMask) {
        (*src)(cv::Rect(0, 0, vw, vh)).copyTo(buf_(cv::Rect(x, y, vw, vh)));
      } else {
        const cv::Mat* m = &in.mask(5);
        if (m->size() != src->size()) {
          cv::resize(*m, mask_, src->size(), 0, 0, cv::INTER_LINEAR);
          m = &mask_;
        }
        // The mask row spread over the three channels, then one vectorisable pass per row.
        // Clamping it to ±1e5 changes nothing real and keeps the sums far inside int range.
        k3_.resize(static_cast<size_t>(vw) * 3);
        for (int r = 0; r < vh; ++r) {
          const float* a = m->ptr<float>(r);
          for (int c = 0; c < vw; ++c)
            k3_[3 * c] = k3_[3 * c + 1] = k3_[3 * c + 2] = std::clamp(a[c], -1e5f, 1e5f);
          const uint8_t* s = src->ptr<uint8_t>(r);
          uint8_t* d = buf_.ptr<uint8_t>(y + r) + 3 * x;
          const float* k = k3_.data();
          for (int i = 0; i < 3 * vw; ++i) d[i] = toU8Bounded(k[i] * s[i] + (1.f - k[i]) * d[i]);
        }
      }
    }
    out[0] = Image{buf_};
  }

 private:
  std::vector<float> k3_;
  cv::Mat buf_, resized_, mask_;
};

}  // namespace

void registerTransformNodes(NodeRegistry& r) {
  const auto& methods = imageops::upscaleMethodNames();
  const std::string methodDoc =
      "nearest-exact, bilinear, bicubic, area: torch interpolate (no antialias; area averages the "
      "covered "
      "pixels); lanczos: Pillow's LANCZOS (antialiased), as ComfyUI.";

  NodeSpec scale{
      "ImageScale", "image/upscaling",
      "Resizes to width × height, as ComfyUI's ImageScale (comfy.utils.common_upscale). A width or "
      "height of 0 keeps the aspect ratio from the other; both 0 pass the image through. bilinear "
      "and "
      "bicubic may differ from ComfyUI by one code value (OpenCV's fixed-point weights); the other "
      "methods are exact."};
  scale.image("image")
      .doc("Image to resize.")
      .combo("upscale_method", methods)
      .doc(methodDoc)
      .integer("width", 512, 0, kMaxResolution)
      .sizes(SizeRole::Width)
      .doc("Output width; 0 derives it from height and the aspect ratio.")
      .integer("height", 512, 0, kMaxResolution)
      .sizes(SizeRole::Height)
      .doc("Output height; 0 derives it from width and the aspect ratio.")
      .combo("crop", {"disabled", "center"})
      .doc(
          "center: first crop the centred window with the output's aspect ratio, so nothing is "
          "stretched.")
      .output("IMAGE", ValueType::Image);
  r.add(scale, [] { return std::make_unique<ImageScale>(); });

  NodeSpec scaleBy{"ImageScaleBy", "image/upscaling",
                   "Resizes by a factor, as ComfyUI's ImageScaleBy: round(width·scale_by) × "
                   "round(height·scale_by) "
                   "(Python rounding), with ImageScale's methods."};
  scaleBy.image("image")
      .doc("Image to resize.")
      .combo("upscale_method", methods)
      .doc(methodDoc)
      .number("scale_by", 1.0, 0.01, 8.0)
      .sizes(SizeRole::Scale)
      .doc("Scale factor; a result under one pixel drops the frame.")
      .output("IMAGE", ValueType::Image);
  r.add(scaleBy, [] { return std::make_unique<ImageScaleBy>(); });

  NodeSpec crop{
      "ImageCrop", "image/transform",
      "Cuts out a width × height window at (x, y), as ComfyUI's ImageCrop: x and y past the edge "
      "are "
      "moved to the last column/row, and the window is clipped to the image (so the output can be "
      "smaller than asked)."};
  crop.image("image")
      .doc("Image to crop.")
      .integer("width", 512, 1, kMaxResolution)
      .sizes(SizeRole::Extent)
      .doc("Window width (clipped at the right edge).")
      .integer("height", 512, 1, kMaxResolution)
      .sizes(SizeRole::Extent)
      .doc("Window height (clipped at the bottom edge).")
      .integer("x", 0, 0, kMaxResolution)
      .sizes(SizeRole::Extent)
      .doc("Left column of the window.")
      .integer("y", 0, 0, kMaxResolution)
      .sizes(SizeRole::Extent)
      .doc("Top row of the window.")
      .output("IMAGE", ValueType::Image);
  r.add(crop, [] { return std::make_unique<ImageCrop>(); });

  NodeSpec flip{"ImageFlip", "image/transform", "Mirrors the image, as ComfyUI's ImageFlip."};
  flip.image("image")
      .doc("Image to flip.")
      .combo("flip_method", {"x-axis: vertically", "y-axis: horizontally"})
      .doc("x-axis: vertically turns it upside down; y-axis: horizontally mirrors left and right.")
      .output("IMAGE", ValueType::Image);
  r.add(flip, [] { return std::make_unique<ImageFlip>(); });

  NodeSpec rotate{"ImageRotate", "image/transform",
                  "Rotates by a multiple of 90 degrees clockwise, as ComfyUI's ImageRotate."};
  rotate.image("image")
      .doc("Image to rotate.")
      .combo("rotation", {"none", "90 degrees", "180 degrees", "270 degrees"})
      .doc("Clockwise rotation; 90 and 270 swap width and height.")
      .output("IMAGE", ValueType::Image);
  r.add(rotate, [] { return std::make_unique<ImageRotate>(); });

  NodeSpec comp{"ImageCompositeMasked", "image",
                "Pastes source onto destination with its top-left corner at (x, y), as ComfyUI's "
                "ImageCompositeMasked; whatever falls outside the destination is cut off. With a "
                "mask (resized "
                "bilinearly to the source's size when it differs), each pixel is mask·source + "
                "(1 − mask)·destination. The output has the destination's size."};
  comp.image("destination")
      .doc("Background; sets the output size.")
      .image("source")
      .doc("Image pasted on top.")
      .integer("x", 0, 0, kMaxResolution)
      .sizes(SizeRole::Extent)
      .doc("Column of the source's left edge in the destination.")
      .integer("y", 0, 0, kMaxResolution)
      .sizes(SizeRole::Extent)
      .doc("Row of the source's top edge in the destination.")
      .boolean("resize_source", false)
      .doc("First resize source (bilinear) to the destination's size.")
      .mask("mask")
      .optional()
      .doc("Source opacity per pixel (1 = source, 0 = destination); absent = fully opaque.")
      .output("IMAGE", ValueType::Image);
  r.add(comp, [] { return std::make_unique<ImageCompositeMasked>(); });
}

}  // namespace cs
