// ImageScale, ImageScaleBy, ImageCrop, ImageFlip, ImageRotate and ImageCompositeMasked against
// comfy.utils.common_upscale (torch interpolate / Pillow) and ComfyUI's slicing rules.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "NodeTestUtil.h"
#include "workflow/nodes/ImageOps.h"

namespace cs::test {
namespace {

using Sampler = std::function<double(const cv::Mat&, int y, int x, int c)>;

cv::Mat build(cv::Size out, int channels, const std::function<double(int, int, int)>& f) {
  cv::Mat m(out, CV_64FC(channels));
  for (int y = 0; y < out.height; ++y)
    for (int x = 0; x < out.width; ++x)
      for (int c = 0; c < channels; ++c) m.ptr<double>(y)[x * channels + c] = f(y, x, c);
  return m;
}

double px(const cv::Mat& m, int y, int x, int c) {
  return m.depth() == CV_8U ? m.ptr<uint8_t>(y)[x * m.channels() + c]
                            : m.ptr<float>(y)[x * m.channels() + c];
}

// torch bilinear, align_corners=False, no antialias.
cv::Mat bilinearRef(const cv::Mat& s, cv::Size out) {
  auto src = [](int o, int in, int n) { return std::max(0.0, (o + 0.5) * in / n - 0.5); };
  return build(out, s.channels(), [&](int y, int x, int c) {
    const double sy = src(y, s.rows, out.height), sx = src(x, s.cols, out.width);
    const int y0 = static_cast<int>(sy), x0 = static_cast<int>(sx);
    const int y1 = std::min(y0 + 1, s.rows - 1), x1 = std::min(x0 + 1, s.cols - 1);
    const double ly = sy - y0, lx = sx - x0;
    return (1 - ly) * ((1 - lx) * px(s, y0, x0, c) + lx * px(s, y0, x1, c)) +
           ly * ((1 - lx) * px(s, y1, x0, c) + lx * px(s, y1, x1, c));
  });
}

// torch bicubic (A = -0.75), align_corners=False, borders clamped.
cv::Mat bicubicRef(const cv::Mat& s, cv::Size out) {
  const double A = -0.75;
  auto w = [&](double t, int k) {
    const double x = std::abs(t - k);
    return x <= 1  ? ((A + 2) * x - (A + 3)) * x * x + 1
           : x < 2 ? ((A * x - 5 * A) * x + 8 * A) * x - 4 * A
                   : 0.0;
  };
  return build(out, s.channels(), [&](int y, int x, int c) {
    const double sy = (y + 0.5) * s.rows / out.height - 0.5,
                 sx = (x + 0.5) * s.cols / out.width - 0.5;
    const int iy = static_cast<int>(std::floor(sy)), ix = static_cast<int>(std::floor(sx));
    double acc = 0;
    for (int j = -1; j <= 2; ++j)
      for (int i = -1; i <= 2; ++i)
        acc += w(sy - iy, j) * w(sx - ix, i) *
               px(s, std::clamp(iy + j, 0, s.rows - 1), std::clamp(ix + i, 0, s.cols - 1), c);
    return acc;
  });
}

// torch adaptive average pooling.
cv::Mat areaRef(const cv::Mat& s, cv::Size out) {
  return build(out, s.channels(), [&](int y, int x, int c) {
    const int y0 = y * s.rows / out.height, y1 = (int)std::ceil((y + 1.0) * s.rows / out.height);
    const int x0 = x * s.cols / out.width, x1 = (int)std::ceil((x + 1.0) * s.cols / out.width);
    double acc = 0;
    for (int j = y0; j < y1; ++j)
      for (int i = x0; i < x1; ++i) acc += px(s, j, i, c);
    return acc / ((y1 - y0) * (x1 - x0));
  });
}

// Pillow's LANCZOS in double (unquantised weights), horizontal then vertical, 8-bit in between.
cv::Mat lanczosRef(const cv::Mat& s, cv::Size out) {
  auto sinc = [](double x) { return x == 0 ? 1.0 : std::sin(CV_PI * x) / (CV_PI * x); };
  auto pass = [&](const cv::Mat& in, int n, bool horizontal) {
    const int len = horizontal ? in.cols : in.rows;
    const double scale = double(len) / n, fs = std::max(scale, 1.0), support = 3 * fs;
    cv::Mat o(horizontal ? in.rows : n, horizontal ? n : in.cols, CV_8UC3);
    for (int k = 0; k < n; ++k) {
      const double center = (k + 0.5) * scale;
      const int lo = std::max(0, (int)(center - support + 0.5)),
                hi = std::min(len, (int)(center + support + 0.5));
      std::vector<double> w;
      double sum = 0;
      for (int i = lo; i < hi; ++i) {
        const double t = (i - center + 0.5) / fs;
        w.push_back(t >= -3 && t < 3 ? sinc(t) * sinc(t / 3) : 0);
        sum += w.back();
      }
      const int other = horizontal ? in.rows : in.cols;
      for (int q = 0; q < other; ++q)
        for (int c = 0; c < 3; ++c) {
          double acc = 0;
          for (int i = lo; i < hi; ++i)
            acc += w[i - lo] / sum * (horizontal ? px(in, q, i, c) : px(in, i, q, c));
          const uint8_t v = cv::saturate_cast<uint8_t>(std::floor(acc + 0.5));
          (horizontal ? o.ptr<uint8_t>(q)[k * 3 + c] : o.ptr<uint8_t>(k)[q * 3 + c]) = v;
        }
    }
    return o;
  };
  cv::Mat m = s;
  if (out.width != s.cols) m = pass(m, out.width, true);
  if (out.height != s.rows) m = pass(m, out.height, false);
  return m;
}

cv::Mat u8(const cv::Mat& d) {
  cv::Mat u;
  d.convertTo(u, CV_8U);
  return u;
}

cv::Mat scale(const cv::Mat& in, const char* method, int w, int h, const char* crop = "disabled") {
  return runImage("ImageScale", {{"image", img(in)},
                                 {"upscale_method", str(method)},
                                 {"width", i64(w)},
                                 {"height", i64(h)},
                                 {"crop", str(crop)}});
}

TEST(TransformNodes, NearestExactPicksPixelCentres) {
  const cv::Mat in = noiseImage(4, 4);
  const cv::Mat out = scale(in, "nearest-exact", 2, 2);
  ASSERT_EQ(out.size(), cv::Size(2, 2));
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 2; ++x)
      EXPECT_EQ(out.at<cv::Vec3b>(y, x), in.at<cv::Vec3b>(2 * y + 1, 2 * x + 1));
  // 2 → 3 columns: floor((o + 0.5)·2/3) = 0, 1, 1.
  const cv::Mat row = greyImage(1, 2, [](int x, int) { return 10 + x; });
  const cv::Mat up = scale(row, "nearest-exact", 3, 1);
  EXPECT_EQ(up.at<cv::Vec3b>(0, 0)[0], 10);
  EXPECT_EQ(up.at<cv::Vec3b>(0, 1)[0], 11);
  EXPECT_EQ(up.at<cv::Vec3b>(0, 2)[0], 11);
}

TEST(TransformNodes, BilinearAndBicubicMatchTorchWithinOne) {
  const cv::Mat in = noiseImage(7, 9);
  for (cv::Size out : {cv::Size(11, 5), cv::Size(4, 3), cv::Size(18, 14), cv::Size(9, 13)}) {
    EXPECT_LE(maxDiff(scale(in, "bilinear", out.width, out.height), u8(bilinearRef(in, out))), 1)
        << out;
    EXPECT_LE(maxDiff(scale(in, "bicubic", out.width, out.height), u8(bicubicRef(in, out))), 1)
        << out;
  }
}

TEST(TransformNodes, AreaIsAdaptiveAveragePooling) {
  const cv::Mat row = greyImage(1, 3, [](int x, int) { return std::array{0, 90, 210}[x]; });
  const cv::Mat out = scale(row, "area", 2, 1);
  EXPECT_EQ(out.at<cv::Vec3b>(0, 0)[0], 45);   // mean of columns 0, 1
  EXPECT_EQ(out.at<cv::Vec3b>(0, 1)[0], 150);  // mean of columns 1, 2 (overlapping windows)
  const cv::Mat in = noiseImage(7, 9);
  for (cv::Size o : {cv::Size(4, 3), cv::Size(3, 7), cv::Size(20, 11), cv::Size(1, 1)})
    EXPECT_LE(maxDiff(scale(in, "area", o.width, o.height), u8(areaRef(in, o))), 1) << o;
}

TEST(TransformNodes, LanczosIsPillows) {
  const cv::Mat in = noiseImage(9, 12);
  for (cv::Size o :
       {cv::Size(5, 4), cv::Size(25, 19), cv::Size(12, 4), cv::Size(3, 9), cv::Size(31, 2)})
    EXPECT_LE(maxDiff(scale(in, "lanczos", o.width, o.height), lanczosRef(in, o)), 1) << o;
  EXPECT_EQ(maxDiff(scale(rgb(6, 5, {200, 3, 90}), "lanczos", 13, 2), rgb(2, 13, {200, 3, 90})), 0);
}

TEST(TransformNodes, LanczosTapsArePillowsFixedPoint) {
  imageops::Resampler::Taps t;
  imageops::buildLanczosTaps(4, 2, t);  // 2x down: support 6, centres 1 and 3
  EXPECT_EQ(t.start, (std::vector<int>{0, 0}));
  EXPECT_EQ(t.count, (std::vector<int>{4, 4}));
  for (int o = 0; o < 2; ++o) {
    int64_t sum = 0;
    for (int j = 0; j < t.count[o]; ++j) sum += t.wi[o * t.stride + j];
    EXPECT_NEAR(static_cast<double>(sum), 1 << 22, 4);
  }
  imageops::buildAreaTaps(3, 2, t);
  EXPECT_EQ(t.start, (std::vector<int>{0, 1}));
  EXPECT_EQ(t.count, (std::vector<int>{2, 2}));
}

TEST(TransformNodes, EveryMethodIsTheIdentityAtTheSameSize) {
  const cv::Mat in = noiseImage(5, 6);
  for (const char* m : {"nearest-exact", "bilinear", "area", "bicubic", "lanczos"})
    EXPECT_EQ(maxDiff(scale(in, m, 6, 5), in), 0) << m;
}

TEST(TransformNodes, ZeroWidthOrHeightKeepsTheAspectWithPythonRounding) {
  const cv::Mat in = noiseImage(5, 10);  // 10 wide, 5 high
  EXPECT_EQ(scale(in, "bilinear", 0, 3).size(), cv::Size(6, 3));
  EXPECT_EQ(scale(in, "bilinear", 5, 0).size(), cv::Size(5, 2));  // round(2.5) = 2
  EXPECT_EQ(scale(in, "bilinear", 7, 0).size(), cv::Size(7, 4));  // round(3.5) = 4
  EXPECT_EQ(maxDiff(scale(in, "bilinear", 0, 0), in), 0);         // both 0: unchanged
}

TEST(TransformNodes, CenterCropCutsTheCentredWindowFirst) {
  const cv::Mat in =
      noiseImage(4, 8);  // aspect 2 → 1: x = round((8 − 4) / 2) = 2, window columns 2..5
  const cv::Mat out = scale(in, "nearest-exact", 2, 2, "center");
  ASSERT_EQ(out.size(), cv::Size(2, 2));
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 2; ++x)
      EXPECT_EQ(out.at<cv::Vec3b>(y, x), in.at<cv::Vec3b>(2 * y + 1, 2 + 2 * x + 1));
  EXPECT_EQ(imageops::centerCropRect({8, 4}, {2, 2}), cv::Rect(2, 0, 4, 4));
  EXPECT_EQ(imageops::centerCropRect({4, 8}, {2, 2}), cv::Rect(0, 2, 4, 4));
  EXPECT_EQ(imageops::centerCropRect({5, 5}, {2, 2}), cv::Rect(0, 0, 5, 5));
}

TEST(TransformNodes, ScaleByRoundsLikePython) {
  const cv::Mat in = noiseImage(6, 10);
  auto by = [&](double s) {
    return runImage("ImageScaleBy",
                    {{"image", img(in)}, {"upscale_method", str("area")}, {"scale_by", f64(s)}});
  };
  EXPECT_EQ(by(0.5).size(), cv::Size(5, 3));
  EXPECT_EQ(by(0.25).size(), cv::Size(2, 2));  // round(2.5) = 2, round(1.5) = 2
  EXPECT_EQ(by(2.0).size(), cv::Size(20, 12));
  EXPECT_TRUE(by(0.01).empty());  // under a pixel: the frame is dropped
}

TEST(TransformNodes, CropClampsXYAndClipsTheWindow) {
  const cv::Mat in = noiseImage(4, 5);
  auto crop = [&](int w, int h, int x, int y) {
    return runImage(
        "ImageCrop",
        {{"image", img(in)}, {"width", i64(w)}, {"height", i64(h)}, {"x", i64(x)}, {"y", i64(y)}});
  };
  EXPECT_EQ(maxDiff(crop(2, 3, 1, 1), in(cv::Rect(1, 1, 2, 3))), 0);
  EXPECT_EQ(maxDiff(crop(512, 512, 0, 0), in), 0);  // clipped to the image
  EXPECT_EQ(maxDiff(crop(3, 3, 10, 10), in(cv::Rect(4, 3, 1, 1))),
            0);  // x, y moved to the last column/row
  EXPECT_EQ(maxDiff(crop(9, 1, 3, 2), in(cv::Rect(3, 2, 2, 1))), 0);
}

TEST(TransformNodes, FlipAxesAreComfys) {
  const cv::Mat in = rgb(2, 3, {1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6});
  EXPECT_EQ(maxDiff(runImage("ImageFlip",
                             {{"image", img(in)}, {"flip_method", str("x-axis: vertically")}}),
                    rgb(2, 3, {4, 4, 4, 5, 5, 5, 6, 6, 6, 1, 1, 1, 2, 2, 2, 3, 3, 3})),
            0);
  EXPECT_EQ(maxDiff(runImage("ImageFlip",
                             {{"image", img(in)}, {"flip_method", str("y-axis: horizontally")}}),
                    rgb(2, 3, {3, 3, 3, 2, 2, 2, 1, 1, 1, 6, 6, 6, 5, 5, 5, 4, 4, 4})),
            0);
}

TEST(TransformNodes, RotateIsClockwise) {
  const cv::Mat in = noiseImage(2, 3);
  auto rot = [&](const char* r) {
    return runImage("ImageRotate", {{"image", img(in)}, {"rotation", str(r)}});
  };
  const cv::Mat r90 = rot("90 degrees"), r180 = rot("180 degrees"), r270 = rot("270 degrees");
  ASSERT_EQ(r90.size(), cv::Size(2, 3));
  ASSERT_EQ(r270.size(), cv::Size(2, 3));
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 2; ++c) {
      EXPECT_EQ(r90.at<cv::Vec3b>(r, c), in.at<cv::Vec3b>(1 - c, r));  // top-left goes to top-right
      EXPECT_EQ(r270.at<cv::Vec3b>(r, c), in.at<cv::Vec3b>(c, 2 - r));
    }
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 3; ++c) EXPECT_EQ(r180.at<cv::Vec3b>(r, c), in.at<cv::Vec3b>(1 - r, 2 - c));
  EXPECT_EQ(maxDiff(rot("none"), in), 0);
}

cv::Mat composite(const cv::Mat& dst, const cv::Mat& src, int x, int y, bool resize = false,
                  const cv::Mat* mask = nullptr) {
  std::map<std::string, Value> in{{"destination", img(dst)},
                                  {"source", img(src)},
                                  {"x", i64(x)},
                                  {"y", i64(y)},
                                  {"resize_source", resize}};
  if (mask) in["mask"] = msk(*mask);
  return runImage("ImageCompositeMasked", in);
}

TEST(TransformNodes, CompositePastesAndClipsAtTheEdges) {
  const cv::Mat dst = rgb(4, 4, {0, 0, 0}), src = rgb(2, 2, {200, 100, 50});
  cv::Mat want = dst.clone();
  want.at<cv::Vec3b>(3, 3) = {200, 100, 50};
  EXPECT_EQ(maxDiff(composite(dst, src, 3, 3), want), 0);
  EXPECT_EQ(maxDiff(composite(dst, src, 10, 1), dst), 0);  // x past the edge: nothing visible
  const cv::Mat big = noiseImage(5, 6);
  EXPECT_EQ(maxDiff(composite(dst, big, 0, 0), big(cv::Rect(0, 0, 4, 4))), 0);
  EXPECT_EQ(maxDiff(composite(dst, big, 1, 2)(cv::Rect(1, 2, 3, 2)), big(cv::Rect(0, 0, 3, 2))), 0);
}

TEST(TransformNodes, CompositeMaskIsResizedBilinearlyToTheSource) {
  const cv::Mat dst = rgb(4, 4, {0, 0, 0}), src = rgb(2, 2, {200, 100, 50});
  const cv::Mat half = maskOf(1, 1, {0.5f});  // one value, stretched over the source
  cv::Mat want = dst.clone();
  for (int y = 1; y < 3; ++y)
    for (int x = 1; x < 3; ++x) want.at<cv::Vec3b>(y, x) = {100, 50, 25};
  EXPECT_EQ(maxDiff(composite(dst, src, 1, 1, false, &half), want), 0);

  const cv::Mat src4 = noiseImage(4, 4), dst4 = noiseImage(4, 4, 9);
  const cv::Mat m = maskOf(2, 2, {0.f, 1.f, 0.25f, 0.75f});
  const cv::Mat mr = bilinearRef(m, {4, 4});
  const cv::Mat out = composite(dst4, src4, 0, 0, false, &m);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 4; ++x)
      for (int c = 0; c < 3; ++c) {
        const double k = mr.at<double>(y, x);
        const double want2 =
            k * src4.at<cv::Vec3b>(y, x)[c] + (1 - k) * dst4.at<cv::Vec3b>(y, x)[c];
        EXPECT_NEAR(out.at<cv::Vec3b>(y, x)[c], want2, 0.5 + 1e-4);
      }
}

TEST(TransformNodes, CompositeResizeSourceStretchesItOverTheDestination) {
  const cv::Mat dst = rgb(4, 6, {0, 0, 0}), src = noiseImage(2, 3);
  EXPECT_LE(maxDiff(composite(dst, src, 0, 0, true), u8(bilinearRef(src, {6, 4}))), 1);
}

TEST(TransformNodes, EmptyInputGivesEmptyOutput) {
  EXPECT_TRUE(scale(cv::Mat(), "bilinear", 4, 4).empty());
  EXPECT_TRUE(runImage("ImageCrop", {{"image", img(cv::Mat())}}).empty());
  EXPECT_TRUE(composite(rgb(2, 2, {1, 1, 1}), cv::Mat(), 0, 0).empty());
}

}  // namespace
}  // namespace cs::test
