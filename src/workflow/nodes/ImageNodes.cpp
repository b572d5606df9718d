// Image filters and generators with ComfyUI's semantics, on 8-bit RGB (OpenCV imgproc). A ComfyUI
// formula f on float [0,1] pixels is computed here as round(255 * f(x / 255)).
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>

#include "workflow/NodeRegistry.h"
#include "workflow/nodes/ImageOps.h"

namespace cs {
namespace {

using imageops::isImage;
using imageops::kMaxResolution;
using imageops::toU8;

template <typename T>
T clampTo(T v, T lo, T hi) {
  return std::min(std::max(v, lo), hi);
}

// ComfyUI ImageInvert: 1 - x.
class ImageInvert final : public Node {
 public:
  void run(const NodeArgs& in, std::vector<Value>& out, FrameContext&) override {
    if (!isImage(in.image(0))) {
      out[0] = Image{};
      return;
    }
    cv::bitwise_not(in.image(0), buf_);
    out[0] = Image{buf_};
  }

 private:
  cv::Mat buf_;
};

// ComfyUI ImageBlur (comfy_extras/nodes_post_processing.py): a (2r+1)² gaussian whose sigma is in
// units of the radius (the kernel spans linspace(-1, 1)), reflect padding. Separable, float.
class ImageBlur final : public Node {
 public:
  void run(const NodeArgs& in, std::vector<Value>& out, FrameContext&) override {
    const cv::Mat& src = in.image(0);
    if (!isImage(src)) {
      out[0] = Image{};
      return;
    }
    const int r = static_cast<int>(clampTo<int64_t>(in.integer(1), 1, 31));
    const double sigma = clampTo(in.number(2), 0.1, 10.0);
    if (r != radius_ || sigma != sigma_) {
      kernel_ = imageops::comfyGaussianKernel1d(r, sigma);
      radius_ = r;
      sigma_ = sigma;
    }
    // Float intermediate: OpenCV's 8-bit smoothing path quantises the kernel to 1/256.
    cv::sepFilter2D(src, blurred_, CV_32F, kernel_, kernel_, cv::Point(-1, -1), 0,
                    cv::BORDER_REFLECT_101 | cv::BORDER_ISOLATED);
    blurred_.convertTo(buf_, CV_8U);
    out[0] = Image{buf_};
  }

 private:
  int radius_ = -1;
  double sigma_ = -1;
  cv::Mat kernel_, blurred_, buf_;
};

// ComfyUI ImageSharpen: kernel -10α·G with 1 + 10α added at the centre, i.e. x + 10α(x - blur(x))
// with ImageBlur's gaussian, clamped.
class ImageSharpen final : public Node {
 public:
  void run(const NodeArgs& in, std::vector<Value>& out, FrameContext&) override {
    const cv::Mat& src = in.image(0);
    if (!isImage(src)) {
      out[0] = Image{};
      return;
    }
    const int r = static_cast<int>(clampTo<int64_t>(in.integer(1), 1, 31));
    const double sigma = clampTo(in.number(2), 0.1, 10.0);
    const double alpha = clampTo(in.number(3), 0.0, 5.0);
    if (r != radius_ || sigma != sigma_) {
      kernel_ = imageops::comfyGaussianKernel1d(r, sigma);
      radius_ = r;
      sigma_ = sigma;
    }
    cv::sepFilter2D(src, blurred_, CV_32F, kernel_, kernel_, cv::Point(-1, -1), 0,
                    cv::BORDER_REFLECT_101 | cv::BORDER_ISOLATED);
    src.convertTo(srcF_, CV_32F);
    cv::addWeighted(srcF_, 1.0 + 10.0 * alpha, blurred_, -10.0 * alpha, 0.0, buf_, CV_8U);
    out[0] = Image{buf_};
  }

 private:
  int radius_ = -1;
  double sigma_ = -1;
  cv::Mat kernel_, srcF_, blurred_, buf_;
};

// ComfyUI ImageBlend. Both inputs are 8-bit, so the blended value of every (image1, image2) pair
// is tabulated once per (mode, factor) in float32 as ComfyUI computes it; a frame is 3 lookups per
// pixel. image2 is first resized to image1 (bicubic, centre crop) when sizes differ, as ComfyUI.
class ImageBlend final : public Node {
 public:
  static const std::vector<std::string>& modes() {
    static const std::vector<std::string> m{"normal",  "multiply",   "screen",
                                            "overlay", "soft_light", "difference"};
    return m;
  }

  void run(const NodeArgs& in, std::vector<Value>& out, FrameContext&) override {
    const cv::Mat& a = in.image(0);
    const cv::Mat& b0 = in.image(1);
    if (!isImage(a) || !isImage(b0)) {
      out[0] = Image{};
      return;
    }
    const float factor = static_cast<float>(clampTo(in.number(2), 0.0, 1.0));
    const auto it = std::find(modes().begin(), modes().end(), in.text(3));
    if (it == modes().end()) {
      out[0] = Image{};
      return;
    }
    const int mode = static_cast<int>(it - modes().begin());
    if (mode != mode_ || factor != factor_) buildTable(mode, factor);
    const cv::Mat* b = &b0;
    if (b0.size() != a.size()) {
      resampler_.resize(b0, a.size(), imageops::Upscale::Bicubic, true, resized_);
      b = &resized_;
    }
    buf_.create(a.size(), CV_8UC3);
    const int n = a.cols * 3;
    const uint8_t* t = table_.data();
    for (int y = 0; y < a.rows; ++y) {
      const uint8_t* p = a.ptr<uint8_t>(y);
      const uint8_t* q = b->ptr<uint8_t>(y);
      uint8_t* d = buf_.ptr<uint8_t>(y);
      for (int i = 0; i < n; ++i) d[i] = t[(p[i] << 8) | q[i]];
    }
    out[0] = Image{buf_};
  }

 private:
  static float g(float x) { return x <= 0.25f ? ((16 * x - 12) * x + 4) * x : std::sqrt(x); }

  void buildTable(int mode, float f) {
    table_.resize(256 * 256);
    for (int i = 0; i < 256; ++i) {
      const float x1 = i / 255.f;
      for (int j = 0; j < 256; ++j) {
        const float x2 = j / 255.f;
        float m = x2;
        switch (mode) {
          case 0:
            m = x2;
            break;
          case 1:
            m = x1 * x2;
            break;
          case 2:
            m = 1 - (1 - x1) * (1 - x2);
            break;
          case 3:
            m = x1 <= 0.5f ? 2 * x1 * x2 : 1 - 2 * (1 - x1) * (1 - x2);
            break;
          case 4:
            m = x2 <= 0.5f ? x1 - (1 - 2 * x2) * x1 * (1 - x1) : x1 + (2 * x2 - 1) * (g(x1) - x1);
            break;
          case 5:
            m = x1 - x2;
            break;
        }
        const float v = x1 * (1 - f) + m * f;
        table_[(i << 8) | j] = toU8(v * 255.f);
      }
    }
    mode_ = mode;
    factor_ = f;
  }

  int mode_ = -1;
  float factor_ = -1;
  std::vector<uint8_t> table_;
  imageops::Resampler resampler_;
  cv::Mat resized_, buf_;
};

// ComfyUI Canny (kornia.filters.canny) approximated with OpenCV: BT.601 grey, 5x5 σ=1 gaussian
// (reflect), unnormalised 3x3 Sobel (replicate) in float, then cv::Canny on those gradients with
// the L2 magnitude and thresholds scaled to it. Non-maximum suppression and hysteresis are
// OpenCV's, so a few edge pixels differ from kornia's.
class Canny final : public Node {
 public:
  void configure(const NodeArgs& in, NodeContext&) override {
    if (in.present(1) && in.present(2) && in.number(1) > in.number(2))
      throw NodeInputError("low_threshold",
                           "low_threshold must not be greater than high_threshold");
  }

  void run(const NodeArgs& in, std::vector<Value>& out, FrameContext&) override {
    const cv::Mat& src = in.image(0);
    const double lo = in.number(1), hi = in.number(2);
    if (!isImage(src) || lo > hi) {
      out[0] = Image{};
      return;
    }
    src.convertTo(rgbF_, CV_32F);
    cv::cvtColor(rgbF_, grayF_, cv::COLOR_RGB2GRAY);
    cv::GaussianBlur(grayF_, blurF_, cv::Size(5, 5), 1.0, 1.0, cv::BORDER_REFLECT_101);
    // 16x fixed point: cv::Canny takes 16-bit gradients; |Sobel| <= 4·255 on 0..255 grey.
    constexpr double kScale = 16.0;
    cv::Sobel(blurF_, gradF_, CV_32F, 1, 0, 3, kScale, 0, cv::BORDER_REPLICATE);
    gradF_.convertTo(dx_, CV_16S);
    cv::Sobel(blurF_, gradF_, CV_32F, 0, 1, 3, kScale, 0, cv::BORDER_REPLICATE);
    gradF_.convertTo(dy_, CV_16S);
    cv::Canny(dx_, dy_, edges_, lo * 255.0 * kScale, hi * 255.0 * kScale, true);
    cv::cvtColor(edges_, buf_, cv::COLOR_GRAY2RGB);
    out[0] = Image{buf_};
  }

 private:
  cv::Mat rgbF_, grayF_, blurF_, gradF_, dx_, dy_, edges_, buf_;
};

// ComfyUI EmptyImage: a solid colour, 0xRRGGBB.
class EmptyImage final : public Node {
 public:
  void configure(const NodeArgs& in, NodeContext& ctx) override {
    limits_ = ctx.limits;
    if (in.present(2) && in.integer(2) != 1)
      throw NodeInputError("batch_size",
                           "comfystream processes one frame at a time; batch_size must be 1");
  }

  void run(const NodeArgs& in, std::vector<Value>& out, FrameContext&) override {
    const int w = static_cast<int>(clampTo<int64_t>(in.integer(0), 1, kMaxResolution));
    const int h = static_cast<int>(clampTo<int64_t>(in.integer(1), 1, kMaxResolution));
    const int64_t color = in.integer(3);
    if (!imageops::admitImage(limits_, w, h, "EmptyImage")) {
      out[0] = Image{};
      return;
    }
    if (w != w_ || h != h_ || color != color_) {
      buf_.create(h, w, CV_8UC3);
      buf_.setTo(cv::Scalar((color >> 16) & 0xFF, (color >> 8) & 0xFF, color & 0xFF));
      w_ = w;
      h_ = h;
      color_ = color;
    }
    out[0] = Image{buf_};
  }

 private:
  WorkflowLimits limits_;
  int w_ = -1, h_ = -1;
  int64_t color_ = -1;
  cv::Mat buf_;
};

// comfystream-native: brightness, contrast and saturation as one 3x4 colour matrix (cv::transform).
class ImageColorAdjust final : public Node {
 public:
  void run(const NodeArgs& in, std::vector<Value>& out, FrameContext&) override {
    const cv::Mat& src = in.image(0);
    if (!isImage(src)) {
      out[0] = Image{};
      return;
    }
    const std::array<double, 3> p{clampTo(in.number(1), 0.0, 5.0), clampTo(in.number(2), 0.0, 5.0),
                                  clampTo(in.number(3), 0.0, 5.0)};
    if (p != params_) {
      // y = c·(b·x - 127.5) + 127.5, then luma + s·(y - luma); the luma weights sum to 1, so
      // the saturation matrix keeps the contrast offset.
      const double b = p[0], c = p[1], s = p[2];
      const double w[3] = {0.299, 0.587, 0.114};
      for (int r = 0; r < 3; ++r) {
        for (int k = 0; k < 3; ++k)
          m_(r, k) = static_cast<float>(c * b * ((r == k ? s : 0.0) + (1 - s) * w[k]));
        m_(r, 3) = static_cast<float>(127.5 * (1 - c));
      }
      params_ = p;
    }
    cv::transform(src, buf_, m_);
    out[0] = Image{buf_};
  }

 private:
  std::array<double, 3> params_{-1, -1, -1};
  cv::Matx34f m_;
  cv::Mat buf_;
};

// comfystream-native: luminance through a colour map (a 256-entry RGB table from
// cv::applyColorMap).
class DepthColorMap final : public Node {
 public:
  static const std::vector<std::string>& maps() {
    static const std::vector<std::string> m{"inferno", "magma", "plasma", "viridis",
                                            "turbo",   "jet",   "gray"};
    return m;
  }

  void run(const NodeArgs& in, std::vector<Value>& out, FrameContext&) override {
    const cv::Mat& src = in.image(0);
    const auto it = std::find(maps().begin(), maps().end(), in.text(1));
    if (!isImage(src) || it == maps().end()) {
      out[0] = Image{};
      return;
    }
    const int map = static_cast<int>(it - maps().begin());
    if (map != map_) buildTable(map);
    cv::cvtColor(src, gray_, cv::COLOR_RGB2GRAY);
    buf_.create(src.size(), CV_8UC3);
    const uint8_t* t = table_.data();
    for (int y = 0; y < src.rows; ++y) {
      const uint8_t* g = gray_.ptr<uint8_t>(y);
      uint8_t* d = buf_.ptr<uint8_t>(y);
      for (int x = 0; x < src.cols; ++x) {
        const uint8_t* c = t + 3 * g[x];
        d[3 * x] = c[0];
        d[3 * x + 1] = c[1];
        d[3 * x + 2] = c[2];
      }
    }
    out[0] = Image{buf_};
  }

 private:
  void buildTable(int map) {
    static const int cvMaps[] = {cv::COLORMAP_INFERNO, cv::COLORMAP_MAGMA, cv::COLORMAP_PLASMA,
                                 cv::COLORMAP_VIRIDIS, cv::COLORMAP_TURBO, cv::COLORMAP_JET};
    cv::Mat ramp(256, 1, CV_8UC1), bgr, rgb;
    for (int i = 0; i < 256; ++i) ramp.at<uint8_t>(i) = static_cast<uint8_t>(i);
    if (map < 6)
      cv::applyColorMap(ramp, bgr, cvMaps[map]);
    else
      cv::cvtColor(ramp, bgr, cv::COLOR_GRAY2BGR);
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    table_.assign(rgb.ptr<uint8_t>(), rgb.ptr<uint8_t>() + 256 * 3);
    map_ = map;
  }

  int map_ = -1;
  std::vector<uint8_t> table_;
  cv::Mat gray_, buf_;
};

}  // namespace

void registerImageNodes(NodeRegistry& r) {
  NodeSpec invert{"ImageInvert", "image", "Inverts every channel: 1 - x (255 - x on 8-bit)."};
  invert.image("image").doc("Image to invert.").output("IMAGE", ValueType::Image);
  r.add(invert, [] { return std::make_unique<ImageInvert>(); });

  NodeSpec blur{
      "ImageBlur", "image/postprocessing",
      "Gaussian blur, as ComfyUI's ImageBlur: a (2·blur_radius+1)² kernel sampled on [-1, 1], so "
      "sigma is relative to the radius (pixel sigma = sigma × blur_radius); edges are reflected."};
  blur.image("image")
      .doc("Image to blur.")
      .integer("blur_radius", 1, 1, 31)
      .doc("Kernel radius in pixels; the kernel is 2·radius+1 wide.")
      .number("sigma", 1.0, 0.1, 10.0)
      .doc("Gaussian spread relative to the radius; larger is closer to a box blur.")
      .output("IMAGE", ValueType::Image);
  r.add(blur, [] { return std::make_unique<ImageBlur>(); });

  NodeSpec sharpen{
      "ImageSharpen", "image/postprocessing",
      "Unsharp mask, as ComfyUI's ImageSharpen: x + 10·alpha·(x − blur(x)), with ImageBlur's "
      "gaussian of the same radius and sigma, clamped to [0, 1]."};
  sharpen.image("image")
      .doc("Image to sharpen.")
      .integer("sharpen_radius", 1, 1, 31)
      .doc("Radius of the blur the detail is measured against.")
      .number("sigma", 1.0, 0.1, 10.0)
      .doc("Gaussian spread relative to the radius, as in ImageBlur.")
      .number("alpha", 1.0, 0.0, 5.0)
      .doc("Strength; 0 leaves the image unchanged.")
      .output("IMAGE", ValueType::Image);
  r.add(sharpen, [] { return std::make_unique<ImageSharpen>(); });

  NodeSpec blend{
      "ImageBlend", "image/postprocessing",
      "Blends image2 over image1, as ComfyUI's ImageBlend: image1·(1 − blend_factor) + "
      "mode(image1, image2)·blend_factor, clamped. image2 is resized to image1's size (bicubic, "
      "centre crop) when they differ. `difference` is image1 − image2 (not absolute), as in "
      "ComfyUI."};
  blend.image("image1")
      .doc("Base image; sets the output size.")
      .image("image2")
      .doc("Image blended over image1.")
      .number("blend_factor", 0.5, 0.0, 1.0)
      .doc("0 keeps image1, 1 gives the blend mode's full result.")
      .combo("blend_mode", ImageBlend::modes())
      .doc(
          "normal: image2; multiply: a·b; screen: 1−(1−a)(1−b); overlay; soft_light (W3C); "
          "difference: a−b.")
      .output("IMAGE", ValueType::Image);
  r.add(blend, [] { return std::make_unique<ImageBlend>(); });

  NodeSpec canny{
      "Canny", "image/preprocessors",
      "Canny edges as a black/white image. ComfyUI uses kornia's canny (grey, 5x5 σ=1 gaussian, "
      "Sobel gradient on [0, 1] pixels, thresholds on that gradient's magnitude); this node "
      "computes "
      "the same grey, blur and gradients and thresholds the same magnitude, but non-maximum "
      "suppression and hysteresis are OpenCV's, so a few edge pixels differ (an approximation)."};
  canny.image("image")
      .doc("Image to detect edges in.")
      .number("low_threshold", 0.4, 0.01, 0.99)
      .doc("Weak-edge threshold on the gradient magnitude (of [0, 1] grey).")
      .number("high_threshold", 0.8, 0.01, 0.99)
      .doc("Strong-edge threshold; must be at least low_threshold.")
      .output("IMAGE", ValueType::Image);
  r.add(canny, [] { return std::make_unique<Canny>(); });

  NodeSpec empty{"EmptyImage", "image", "A solid-colour image, as ComfyUI's EmptyImage."};
  empty.integer("width", 512, 1, kMaxResolution)
      .sizes(SizeRole::Width)
      .doc("Width in pixels.")
      .integer("height", 512, 1, kMaxResolution)
      .sizes(SizeRole::Height)
      .doc("Height in pixels.")
      .integer("batch_size", 1, 1, 4096)
      .sizes(SizeRole::Batch)
      .doc("Must be 1: comfystream processes one frame at a time.")
      .integer("color", 0, 0, 0xFFFFFF)
      .doc("Colour as an integer 0xRRGGBB (e.g. 16711680 is red).")
      .output("IMAGE", ValueType::Image);
  r.add(empty, [] { return std::make_unique<EmptyImage>(); });

  NodeSpec adjust{
      "ImageColorAdjust", "ComfyStream/image",
      "comfystream-native (not a ComfyUI node): brightness, contrast and saturation in one pass. "
      "On [0, 1] pixels: y = brightness·x; y = (y − 0.5)·contrast + 0.5; y = L + saturation·(y − "
      "L) "
      "with L = 0.299R + 0.587G + 0.114B of y; clamped once at the end. All 1 is the identity."};
  adjust.image("image")
      .doc("Image to adjust.")
      .number("brightness", 1.0, 0.0, 5.0)
      .doc("Multiplies every channel; 0 is black.")
      .number("contrast", 1.0, 0.0, 5.0)
      .doc("Scales the distance from mid-grey (0.5); 0 is flat grey.")
      .number("saturation", 1.0, 0.0, 5.0)
      .doc("Scales the distance from the pixel's luma; 0 is greyscale.")
      .output("IMAGE", ValueType::Image);
  r.add(adjust, [] { return std::make_unique<ImageColorAdjust>(); });

  NodeSpec cmap{"DepthColorMap", "ComfyStream/image",
                "comfystream-native (not a ComfyUI node): colours an image's luminance (BT.601 "
                "grey, so a depth "
                "map's value) with a colour map: 0 maps to the map's first colour, 255 to its "
                "last. Output RGB."};
  cmap.image("image")
      .doc("Image (typically a grey depth map) whose luminance is coloured.")
      .combo("colormap", DepthColorMap::maps())
      .doc("OpenCV colour map; gray leaves the luminance as grey.")
      .output("IMAGE", ValueType::Image);
  r.add(cmap, [] { return std::make_unique<DepthColorMap>(); });
}

}  // namespace cs
