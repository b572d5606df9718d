#include "workflow/nodes/ImageOps.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <stdexcept>

#include "util/RateLimitedLog.h"

namespace cs::imageops {
namespace {

// Pillow's Resample.c: PRECISION_BITS for 8-bit bands, and its lanczos filter (support 3).
constexpr int kPrecisionBits = 32 - 8 - 2;

double sinc(double x) {
  if (x == 0.0) return 1.0;
  x *= CV_PI;
  return std::sin(x) / x;
}
double lanczos3(double x) {
  return (-3.0 <= x && x < 3.0) ? sinc(x) * sinc(x / 3) : 0.0;
}

uint8_t clip8(int32_t v) {
  v >>= kPrecisionBits;
  return static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
}

}  // namespace

const std::vector<std::string>& upscaleMethodNames() {
  static const std::vector<std::string> names{"nearest-exact", "bilinear", "area", "bicubic",
                                              "lanczos"};
  return names;
}

Upscale parseUpscale(const std::string& name) {
  const auto& n = upscaleMethodNames();
  const auto it = std::find(n.begin(), n.end(), name);
  if (it == n.end()) throw std::invalid_argument("unknown upscale_method " + name);
  return static_cast<Upscale>(it - n.begin());
}

cv::Rect centerCropRect(cv::Size in, cv::Size out) {
  const double oldAspect = static_cast<double>(in.width) / in.height;
  const double newAspect = static_cast<double>(out.width) / out.height;
  int x = 0, y = 0;
  if (oldAspect > newAspect)
    x = pyRound((in.width - in.width * (newAspect / oldAspect)) / 2);
  else if (oldAspect < newAspect)
    y = pyRound((in.height - in.height * (oldAspect / newAspect)) / 2);
  // torch would fail on an empty window; keep at least one pixel.
  x = std::min(x, (in.width - 1) / 2);
  y = std::min(y, (in.height - 1) / 2);
  return {x, y, in.width - 2 * x, in.height - 2 * y};
}

void buildAreaTaps(int in, int out, Resampler::Taps& t) {
  // torch adaptive_avg_pool: output o averages input [floor(o*in/out), ceil((o+1)*in/out)).
  t.in = in;
  t.out = out;
  t.start.resize(out);
  t.count.resize(out);
  t.stride = 0;
  for (int o = 0; o < out; ++o) {
    const int64_t s = static_cast<int64_t>(o) * in / out;
    const int64_t e = 1 + (static_cast<int64_t>(o + 1) * in - 1) / out;
    t.start[o] = static_cast<int>(s);
    t.count[o] = static_cast<int>(e - s);
    t.stride = std::max(t.stride, t.count[o]);
  }
  t.wf.assign(static_cast<size_t>(out) * t.stride, 0.f);
  for (int o = 0; o < out; ++o)
    for (int j = 0; j < t.count[o]; ++j)
      t.wf[static_cast<size_t>(o) * t.stride + j] = 1.f / t.count[o];
}

void buildLanczosTaps(int in, int out, Resampler::Taps& t) {
  // Pillow's precompute_coeffs + normalize_coeffs_8bpc for the LANCZOS filter.
  t.in = in;
  t.out = out;
  const double scale = static_cast<double>(in) / out;
  const double filterscale = std::max(scale, 1.0);
  const double support = 3.0 * filterscale;
  t.stride = static_cast<int>(std::ceil(support)) * 2 + 1;
  t.start.resize(out);
  t.count.resize(out);
  t.wi.assign(static_cast<size_t>(out) * t.stride, 0);
  std::vector<double> k(t.stride);
  for (int xx = 0; xx < out; ++xx) {
    const double center = (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in) xmax = in;
    xmax -= xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      k[x] = lanczos3((x + xmin - center + 0.5) * ss);
      ww += k[x];
    }
    for (int x = 0; x < xmax; ++x) {
      if (ww != 0.0) k[x] /= ww;
      const double v = k[x] * (1 << kPrecisionBits);
      t.wi[static_cast<size_t>(xx) * t.stride + x] =
          static_cast<int32_t>(k[x] < 0 ? -0.5 + v : 0.5 + v);
    }
    t.start[xx] = xmin;
    t.count[xx] = xmax;
  }
}

void Resampler::resize(const cv::Mat& src, cv::Size out, Upscale method, bool centerCrop,
                       cv::Mat& dst) {
  const cv::Mat roi = centerCrop ? src(centerCropRect(src.size(), out)) : src;
  if (roi.size() == out) {  // every method is the identity at the same size
    roi.copyTo(dst);
    return;
  }
  switch (method) {
    case Upscale::NearestExact:
      nearestExact(roi, out, dst);
      break;
    case Upscale::Bilinear:
      cv::resize(roi, dst, out, 0, 0, cv::INTER_LINEAR);
      break;
    case Upscale::Bicubic:
      cv::resize(roi, dst, out, 0, 0, cv::INTER_CUBIC);
      break;
    case Upscale::Area:
      area(roi, out, dst);
      break;
    case Upscale::Lanczos:
      lanczos(roi, out, dst);
      break;
  }
}

void Resampler::nearestExact(const cv::Mat& src, cv::Size out, cv::Mat& dst) {
  // torch nearest-exact: src = min(floorf((dst + 0.5) * (float(in) / out)), in - 1).
  auto indices = [](int in, int n, std::vector<int>& idx) {
    const float scale = static_cast<float>(in) / static_cast<float>(n);
    idx.resize(n);
    for (int o = 0; o < n; ++o)
      idx[o] =
          std::min(static_cast<int>(std::floor(static_cast<float>((o + 0.5) * scale))), in - 1);
  };
  const int key[4] = {src.cols, src.rows, out.width, out.height};
  if (!std::equal(key, key + 4, nearestKey_)) {
    indices(src.cols, out.width, nearestX_);
    indices(src.rows, out.height, nearestY_);
    std::copy(key, key + 4, nearestKey_);
  }
  dst.create(out, CV_8UC3);
  for (int y = 0; y < out.height; ++y) {
    const uint8_t* s = src.ptr<uint8_t>(nearestY_[y]);
    uint8_t* d = dst.ptr<uint8_t>(y);
    for (int x = 0; x < out.width; ++x) {
      const uint8_t* p = s + 3 * nearestX_[x];
      d[3 * x] = p[0];
      d[3 * x + 1] = p[1];
      d[3 * x + 2] = p[2];
    }
  }
}

void Resampler::area(const cv::Mat& src, cv::Size out, cv::Mat& dst) {
  if (areaH_.in != src.cols || areaH_.out != out.width) buildAreaTaps(src.cols, out.width, areaH_);
  if (areaV_.in != src.rows || areaV_.out != out.height)
    buildAreaTaps(src.rows, out.height, areaV_);
  // Separable: average along x into float rows, then along y, rounding once at the end.
  tmpF_.create(src.rows, out.width, CV_32FC3);
  for (int y = 0; y < src.rows; ++y) {
    const uint8_t* s = src.ptr<uint8_t>(y);
    float* d = tmpF_.ptr<float>(y);
    for (int x = 0; x < out.width; ++x) {
      const float* w = &areaH_.wf[static_cast<size_t>(x) * areaH_.stride];
      const uint8_t* p = s + 3 * areaH_.start[x];
      float a0 = 0, a1 = 0, a2 = 0;
      for (int j = 0; j < areaH_.count[x]; ++j) {
        a0 += w[j] * p[3 * j];
        a1 += w[j] * p[3 * j + 1];
        a2 += w[j] * p[3 * j + 2];
      }
      d[3 * x] = a0;
      d[3 * x + 1] = a1;
      d[3 * x + 2] = a2;
    }
  }
  dst.create(out, CV_8UC3);
  const int n = out.width * 3;
  accF_.resize(n);
  for (int y = 0; y < out.height; ++y) {
    std::fill(accF_.begin(), accF_.end(), 0.f);
    const float* w = &areaV_.wf[static_cast<size_t>(y) * areaV_.stride];
    for (int j = 0; j < areaV_.count[y]; ++j) {
      const float* r = tmpF_.ptr<float>(areaV_.start[y] + j);
      const float k = w[j];
      float* a = accF_.data();
      for (int i = 0; i < n; ++i) a[i] += k * r[i];
    }
    uint8_t* d = dst.ptr<uint8_t>(y);
    for (int i = 0; i < n; ++i) d[i] = toU8Bounded(accF_[i]);  // averages of 0..255
  }
}

void Resampler::lanczos(const cv::Mat& src, cv::Size out, cv::Mat& dst) {
  // Pillow's two-pass resample: horizontal into 8-bit rows, then vertical, each pass only when
  // that dimension changes, with 22-bit fixed-point weights and the same rounding.
  const bool horizontal = src.cols != out.width, vertical = src.rows != out.height;
  if (horizontal && (lanczosH_.in != src.cols || lanczosH_.out != out.width))
    buildLanczosTaps(src.cols, out.width, lanczosH_);
  if (vertical && (lanczosV_.in != src.rows || lanczosV_.out != out.height))
    buildLanczosTaps(src.rows, out.height, lanczosV_);

  cv::Mat& mid = vertical ? tmpU8_ : dst;
  const cv::Mat* rows = &src;
  if (horizontal) {
    mid.create(src.rows, out.width, CV_8UC3);
    const Taps& t = lanczosH_;
    for (int y = 0; y < src.rows; ++y) {
      const uint8_t* s = src.ptr<uint8_t>(y);
      uint8_t* d = mid.ptr<uint8_t>(y);
      for (int x = 0; x < out.width; ++x) {
        const int32_t* k = &t.wi[static_cast<size_t>(x) * t.stride];
        const uint8_t* p = s + 3 * t.start[x];
        int32_t a0 = 1 << (kPrecisionBits - 1), a1 = a0, a2 = a0;
        for (int j = 0; j < t.count[x]; ++j) {
          a0 += p[3 * j] * k[j];
          a1 += p[3 * j + 1] * k[j];
          a2 += p[3 * j + 2] * k[j];
        }
        d[3 * x] = clip8(a0);
        d[3 * x + 1] = clip8(a1);
        d[3 * x + 2] = clip8(a2);
      }
    }
    rows = &mid;
  }
  if (!vertical) return;
  dst.create(out, CV_8UC3);
  const Taps& t = lanczosV_;
  const int n = out.width * 3;
  accI_.resize(n);
  for (int y = 0; y < out.height; ++y) {
    std::fill(accI_.begin(), accI_.end(), 1 << (kPrecisionBits - 1));
    const int32_t* k = &t.wi[static_cast<size_t>(y) * t.stride];
    for (int j = 0; j < t.count[y]; ++j) {
      const uint8_t* r = rows->ptr<uint8_t>(t.start[y] + j);
      const int32_t w = k[j];
      int32_t* a = accI_.data();
      for (int i = 0; i < n; ++i) a[i] += r[i] * w;
    }
    uint8_t* d = dst.ptr<uint8_t>(y);
    for (int i = 0; i < n; ++i) d[i] = clip8(accI_[i]);
  }
}

cv::Mat comfyGaussianKernel1d(int radius, double sigma) {
  const int size = 2 * radius + 1;
  cv::Mat k(size, 1, CV_32F);
  double sum = 0;
  std::vector<double> g(size);
  for (int i = 0; i < size; ++i) {
    const double x = -1.0 + 2.0 * i / (size - 1);  // torch.linspace(-1, 1, size)
    g[i] = std::exp(-(x * x) / (2.0 * sigma * sigma));
    sum += g[i];
  }
  for (int i = 0; i < size; ++i) k.at<float>(i) = static_cast<float>(g[i] / sum);
  return k;
}

bool admitImage(const WorkflowLimits& limits, int64_t w, int64_t h, const char* node) {
  if (limits.allowsImage(w, h)) return true;
  CS_LOG_LIMITED(spdlog::level::warn, "{}: output {}; frame dropped", node,
                 limits.describeImage(w, h));
  return false;
}

}  // namespace cs::imageops
