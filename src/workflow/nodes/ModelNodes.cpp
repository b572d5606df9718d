// Nodes that run models from the workspace (ModelStore): ComfyUI's image→image upscale-model
// pair and ComfyUI-Depth-Anything-Tensorrt's DepthAnythingTensorrt. Models load in configure()
// (control plane) and run in run() (stream worker); TorchScript or ONNX stand in for TensorRT
// engines, which this CPU build cannot run.
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "workflow/ModelStore.h"
#include "workflow/NodeRegistry.h"
#include "workflow/nodes/ImageOps.h"

namespace cs {
namespace {

const char* kUpscaleModel = "UPSCALE_MODEL";

// The model a node's literal name input names, or a NodeInputError naming that input.
std::shared_ptr<Model> loadNamed(const NodeArgs& in, size_t index, const std::string& input,
                                 const std::string& category, NodeContext& ctx) {
  if (!in.present(index))
    throw NodeInputError(input, input + " must be a file name written in the workflow");
  const std::string& name = in.text(index);
  if (!ctx.models)
    throw NodeInputError(input, "cannot load model '" + name +
                                    "': the server was started without a workspace "
                                    "(--workspace DIR; models live in DIR/models/" +
                                    category + ")");
  try {
    return ctx.models->load(category, name);
  } catch (const ModelError& e) {
    throw NodeInputError(input, e.what());
  }
}

// ComfyUI's IMAGE → model input: float32 NCHW in [0, 1] (image.movedim(-1, -3)), into `blob`.
void toBlob(const cv::Mat& rgb, cv::Mat& blob, double scale) {
  const int sz[] = {1, rgb.channels(), rgb.rows, rgb.cols};
  blob.create(4, sz, CV_32F);
  std::vector<cv::Mat> planes;
  for (int c = 0; c < rgb.channels(); ++c)
    planes.emplace_back(rgb.rows, rgb.cols, CV_32F, blob.ptr<float>(0, c));
  if (rgb.depth() == CV_32F && scale == 1.0) {
    cv::split(rgb, planes);
  } else {
    cv::Mat f;
    rgb.convertTo(f, CV_32F, scale);
    cv::split(f, planes);
  }
}

// Shape of a model output as (N, C, H, W), accepting NCHW, CHW and HW.
bool imageShape(const cv::Mat& t, int& n, int& c, int& h, int& w) {
  if (t.dims < 2 || t.dims > 4) return false;
  const int d = t.dims;
  w = t.size[d - 1];
  h = t.size[d - 2];
  c = d >= 3 ? t.size[d - 3] : 1;
  n = d == 4 ? t.size[0] : 1;
  return true;
}

// ---- UpscaleModelLoader / ImageUpscaleWithModel ------------------------------------------------

// Runs an image→image model: RGB float NCHW [0, 1] in, the same layout out (any scale factor;
// 1 output channel is taken as gray), clamped to [0, 1] and quantised to 8 bits, as ComfyUI's
// ImageUpscaleWithModel does (torch.clamp(s, 0, 1)). ComfyUI tiles large images (512 px tiles,
// 32 px overlap) to bound GPU memory; this runs the whole frame at once.
void upscale(const Model& model, const cv::Mat& rgb, cv::Mat& blob, cv::Mat& dst) {
  toBlob(rgb, blob, 1.0 / 255.0);
  const cv::Mat out = model.forward(blob);
  int n, c, h, w;
  if (!imageShape(out, n, c, h, w) || n != 1 || (c != 3 && c != 1))
    throw ModelError("an upscale model must return 1x3xHxW (or 1x1xHxW), not " +
                     std::to_string(out.dims) + "-D " + std::to_string(out.total()) + " values");
  float* data = const_cast<float*>(out.ptr<float>());
  if (c == 3) {
    std::vector<cv::Mat> planes;
    for (int i = 0; i < 3; ++i)
      planes.emplace_back(h, w, CV_32F, data + static_cast<size_t>(i) * h * w);
    cv::Mat merged;
    cv::merge(planes, merged);
    merged.convertTo(dst, CV_8U, 255.0);  // saturates: the clamp to [0, 1]
  } else {
    cv::Mat gray;
    cv::Mat(h, w, CV_32F, data).convertTo(gray, CV_8U, 255.0);
    cv::cvtColor(gray, dst, cv::COLOR_GRAY2RGB);
  }
}

class UpscaleModelLoader final : public Node {
 public:
  void configure(const NodeArgs& in, NodeContext& ctx) override {
    model_ = loadNamed(in, 0, "model_name", "upscale_models", ctx);
    // One run at the stream's size: proves the model maps images to images before the stream
    // starts, and takes libtorch's first-run profiling off the first frame.
    try {
      cv::Mat blob, dst;
      upscale(
          *model_,
          cv::Mat(std::max(ctx.height, 8), std::max(ctx.width, 8), CV_8UC3, cv::Scalar::all(128)),
          blob, dst);
    } catch (const ModelError& e) {
      throw NodeInputError("model_name",
                           "model '" + in.text(0) + "' (" + model_->file().string() +
                               ") does not run as an image-to-image model: " + e.what());
    }
  }
  void run(const NodeArgs&, std::vector<Value>& out, FrameContext&) override {
    out[0] = std::static_pointer_cast<ModelHandle>(model_);
  }

 private:
  std::shared_ptr<Model> model_;
};

class ImageUpscaleWithModel final : public Node {
 public:
  void configure(const NodeArgs&, NodeContext& ctx) override { limits_ = ctx.limits; }

  // A frame the model cannot take throws (ModelError, cv::Exception): NodeRunner drops it.
  void run(const NodeArgs& in, std::vector<Value>& out, FrameContext&) override {
    out[0] = std::monostate{};
    const auto model = in.model<Model>(0);
    const cv::Mat& rgb = in.image(1);
    if (!model || rgb.empty()) return;
    // The model decides the output size: the input is checked before, the output after (the
    // backend allocates it), and an output over the limits is neither passed on nor kept.
    if (!imageops::admitImage(limits_, rgb.cols, rgb.rows, "ImageUpscaleWithModel")) return;
    upscale(*model, rgb, blob_, buf_);
    if (!imageops::admitImage(limits_, buf_.cols, buf_.rows, "ImageUpscaleWithModel")) {
      buf_.release();
      blob_.release();
      return;
    }
    out[0] = Image{buf_};
  }

 private:
  cv::Mat blob_, buf_;
  WorkflowLimits limits_;
};

// ---- DepthAnythingTensorrt ---------------------------------------------------------------------
//
// Pre/post-processing of yuvraj108c/ComfyUI-Depth-Anything-Tensorrt,
// nodes/depth_anything_tensorrt.py (DepthAnythingTensorrt.main and _DepthAnythingBase):
//   images.permute(0, 3, 1, 2); F.interpolate(size=(518, 518), mode='bilinear',
//       align_corners=False)           - no mean/std normalisation: [0, 1] RGB goes in as is
//   engine.infer({"input": img})['output']
//   "DA3" in engine: _postprocess_da3 - d = 1/d where d > 0; 2nd/98th percentiles of those
//       (fewer than 11 valid: 0, 0); equal: -1e-6/+1e-6; ((d - lo)/(hi - lo)).clip(0, 1)
//       * 255 → uint8
//   else:            _postprocess_da2 - (d - d.min()) / (d.max() - d.min()) * 255.0 → uint8
//   cv2.resize(depth, (W, H))          - default INTER_LINEAR, on the uint8 map
//   / 255.0; "metric" in engine: 1 - x - one channel (B, H, W) IMAGE
// Here the 8-bit map is the IMAGE (exact: it is already quantised), replicated to RGB because
// IMAGE values are 3-channel. The node is OUTPUT_NODE in ComfyUI; here it runs when a SaveTensor
// needs it (it has no side effect).
constexpr int kDepthSize = 518;

// numpy.percentile(v, q) with the default 'linear' method, as numpy 1.24 computes it for float32
// input (float64 result; numpy's _lerp, which takes b - (b - a)(1 - t) for t >= 0.5).
double percentile(std::vector<float>& v, double q) {
  const size_t n = v.size();
  const double virt = (static_cast<double>(n) - 1) * (q / 100.0);
  const size_t lo = static_cast<size_t>(std::floor(virt));
  const size_t hi = std::min(lo + 1, n - 1);
  std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(lo), v.end());
  const float a = v[lo];
  const auto next = v.begin() + static_cast<ptrdiff_t>(lo) + 1;
  const float b = hi == lo ? a : *std::min_element(next, v.end());
  const double t = virt - static_cast<double>(lo);
  const double diff = static_cast<float>(b - a);
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

class DepthAnythingTensorrt final : public Node {
 public:
  void configure(const NodeArgs& in, NodeContext& ctx) override {
    model_ = loadNamed(in, 1, "engine", "tensorrt/depth-anything", ctx);
    // The original picks post-processing by substrings of the engine's name.
    const std::string& name = in.text(1);
    da3_ = name.find("DA3") != std::string::npos;
    metric_ = name.find("metric") != std::string::npos;
    // One run on a 518x518 input: checks the model returns one depth plane and warms it up.
    try {
      int sz[] = {1, 3, kDepthSize, kDepthSize};
      const cv::Mat out = model_->forward(cv::Mat(4, sz, CV_32F, cv::Scalar(0.5)));
      checkedPlane(out);
    } catch (const ModelError& e) {
      throw NodeInputError("engine", "model '" + name + "' (" + model_->file().string() +
                                         ") does not run as a Depth Anything model: " + e.what());
    }
  }

  void run(const NodeArgs& in, std::vector<Value>& out, FrameContext&) override {
    out[0] = std::monostate{};
    const cv::Mat& rgb = in.image(0);
    if (rgb.empty()) return;
    // ComfyUI's IMAGE is float: resize the float image, as F.interpolate does.
    rgb.convertTo(f32_, CV_32F, 1.0 / 255.0);
    cv::resize(f32_, resized_, cv::Size(kDepthSize, kDepthSize), 0, 0, cv::INTER_LINEAR);
    toBlob(resized_, blob_, 1.0);
    const cv::Mat depth = checkedPlane(model_->forward(blob_));
    if (da3_)
      postprocessDa3(depth, depth8_);
    else
      postprocessDa2(depth, depth8_);
    cv::resize(depth8_, full8_, rgb.size(), 0, 0, cv::INTER_LINEAR);
    if (metric_) cv::subtract(cv::Scalar::all(255), full8_, full8_);
    cv::cvtColor(full8_, buf_, cv::COLOR_GRAY2RGB);
    out[0] = Image{buf_};
  }

 private:
  // The output as one HxW float plane (sharing `out`'s data).
  static cv::Mat checkedPlane(const cv::Mat& out) {
    int n, c, h, w;
    if (!imageShape(out, n, c, h, w) || n * c != 1 || out.type() != CV_32F)
      throw ModelError("a depth model must return one plane (1x1xHxW, 1xHxW or HxW), got " +
                       std::to_string(out.dims) + "-D with " + std::to_string(out.total()) +
                       " values");
    return out.reshape(1, std::vector<int>{h, w});
  }

  // _postprocess_da2, in float32 as numpy computes it; truncation as astype(np.uint8).
  static void postprocessDa2(const cv::Mat& d, cv::Mat& dst) {
    double mnD, mxD;
    cv::minMaxLoc(d, &mnD, &mxD);
    const float mn = static_cast<float>(mnD), range = static_cast<float>(mxD) - mn;
    dst.create(d.size(), CV_8U);
    if (!(range > 0)) {  // numpy divides 0 by 0 here (NaN); a flat map is black
      dst.setTo(0);
      return;
    }
    for (int y = 0; y < d.rows; ++y) {
      const float* s = d.ptr<float>(y);
      uchar* o = dst.ptr<uchar>(y);
      for (int x = 0; x < d.cols; ++x) {
        const float v = (s[x] - mn) / range * 255.0f;
        o[x] = v > 0 ? static_cast<uchar>(std::min(v, 255.0f)) : 0;
      }
    }
  }

  // _postprocess_da3: inverse depth, 2-98 percentile range, float32 as numpy 1.x computes it.
  void postprocessDa3(const cv::Mat& src, cv::Mat& dst) {
    inv_.create(src.size(), CV_32F);
    valid_.clear();
    for (int y = 0; y < src.rows; ++y) {
      const float* s = src.ptr<float>(y);
      float* o = inv_.ptr<float>(y);
      for (int x = 0; x < src.cols; ++x) {
        o[x] = s[x] > 0 ? 1.0f / s[x] : s[x];
        if (s[x] > 0) valid_.push_back(o[x]);
      }
    }
    double lo = 0, hi = 0;
    if (valid_.size() > 10) {
      lo = percentile(valid_, 2);
      hi = percentile(valid_, 98);
    }
    if (lo == hi) {
      lo -= 1e-6;
      hi += 1e-6;
    }
    const float flo = static_cast<float>(lo), range = static_cast<float>(hi - lo);
    dst.create(src.size(), CV_8U);
    for (int y = 0; y < src.rows; ++y) {
      const float* s = inv_.ptr<float>(y);
      uchar* o = dst.ptr<uchar>(y);
      for (int x = 0; x < src.cols; ++x) {
        const float v = std::clamp((s[x] - flo) / range, 0.0f, 1.0f) * 255.0f;
        o[x] = v > 0 ? static_cast<uchar>(v) : 0;  // NaN → 0
      }
    }
  }

  std::shared_ptr<Model> model_;
  bool da3_ = false, metric_ = false;
  cv::Mat f32_, resized_, blob_, depth8_, full8_, buf_, inv_;
  std::vector<float> valid_;
};

}  // namespace

void registerModelNodes(NodeRegistry& r) {
  // Independent of the build (docs/NODES.md is generated from these and must not vary).
  const std::string runs =
      "TorchScript (.pt/.ts, in builds with libtorch) or ONNX (.onnx, OpenCV DNN) on the CPU";

  NodeSpec loader{"UpscaleModelLoader", "loaders",
                  "Loads an image-to-image model from models/upscale_models: " + runs +
                      ". A .pth/.safetensors name uses a same-named .pt/.ts/.onnx export "
                      "beside it."};
  loader.text("model_name", "")
      .doc(
          "File under models/upscale_models (sub-folders allowed); x.pth resolves to x.pt, x.ts "
          "or x.onnx")
      .output("UPSCALE_MODEL", ValueType::Model, kUpscaleModel);
  r.add(loader, [] { return std::make_unique<UpscaleModelLoader>(); });

  NodeSpec up{"ImageUpscaleWithModel", "image/upscaling",
              "Runs an image-to-image model on the image: RGB float NCHW in [0, 1] in, the same "
              "out at any scale factor, clamped to [0, 1]. Whole frame at once (ComfyUI tiles)."};
  up.model("upscale_model", kUpscaleModel)
      .doc("From UpscaleModelLoader")
      .image("image")
      .doc("Image to process")
      .output("IMAGE", ValueType::Image);
  r.add(up, [] { return std::make_unique<ImageUpscaleWithModel>(); });

  NodeSpec depth{"DepthAnythingTensorrt", "tensorrt",
                 "Depth Anything depth map as a grayscale image, with the pre/post-processing of "
                 "ComfyUI-Depth-Anything-Tensorrt: bilinear resize to 518x518, model, min-max "
                 "normalise (2-98 percentiles of inverse depth for DA3 names), resize back; names "
                 "containing 'metric' are inverted. TensorRT engines cannot run here: x.engine "
                 "runs a same-named " +
                     runs + "."};
  depth.image("images")
      .doc("Image to estimate depth for")
      .text("engine", "")
      .doc(
          "File under models/tensorrt/depth-anything, e.g. depth_anything_vitl14-fp16.engine; "
          "runs x.pt/x.ts/x.onnx beside it")
      .output("IMAGE", ValueType::Image);
  r.add(depth, [] { return std::make_unique<DepthAnythingTensorrt>(); });
}

}  // namespace cs
