// ImageInvert, ImageBlur, ImageSharpen, ImageBlend, Canny, EmptyImage, ImageColorAdjust and
// DepthColorMap against ComfyUI's formulas on small known images.
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include <cmath>

#include "NodeTestUtil.h"

namespace cs::test {
namespace {

// ComfyUI's ImageBlur, literally: the 2-D (2r+1)² kernel over linspace(-1, 1)², reflect padding,
// in double, unrounded.
cv::Mat comfyBlurRef(const cv::Mat& src, int r, double sigma) {
  const int k = 2 * r + 1;
  std::vector<double> kern(k * k);
  double sum = 0;
  for (int i = 0; i < k; ++i)
    for (int j = 0; j < k; ++j) {
      const double x = -1.0 + 2.0 * i / (k - 1), y = -1.0 + 2.0 * j / (k - 1);
      const double d = std::sqrt(x * x + y * y);
      sum += kern[i * k + j] = std::exp(-(d * d) / (2.0 * sigma * sigma));
    }
  auto refl = [](int i, int n) {
    if (i < 0) i = -i;
    if (i >= n) i = 2 * n - 2 - i;
    return i;
  };
  cv::Mat out(src.size(), CV_64FC3);
  for (int y = 0; y < src.rows; ++y)
    for (int x = 0; x < src.cols; ++x)
      for (int c = 0; c < 3; ++c) {
        double acc = 0;
        for (int i = 0; i < k; ++i)
          for (int j = 0; j < k; ++j)
            acc += kern[i * k + j] / sum *
                   src.at<cv::Vec3b>(refl(y + i - r, src.rows), refl(x + j - r, src.cols))[c];
        out.at<cv::Vec3d>(y, x)[c] = acc;
      }
  return out;
}

cv::Mat roundToU8(const cv::Mat& d) {
  cv::Mat u;
  d.convertTo(u, CV_8U);
  return u;
}

TEST(ImageFilterNodes, InvertIs255MinusX) {
  const cv::Mat in = rgb(1, 2, {0, 1, 254, 255, 128, 127});
  EXPECT_EQ(
      maxDiff(runImage("ImageInvert", {{"image", img(in)}}), rgb(1, 2, {255, 254, 1, 0, 127, 128})),
      0);
}

TEST(ImageFilterNodes, BlurOfAnImpulseMatchesComfyKernelByHand) {
  // 3x3, 255 in the centre, r = 1, σ = 1: the 1-D factor is [a, b, a] with a = e^-½ / (1 + 2e^-½).
  const cv::Mat in = greyImage(3, 3, [](int x, int y) { return x == 1 && y == 1 ? 255 : 0; });
  const cv::Mat out =
      runImage("ImageBlur", {{"image", img(in)}, {"blur_radius", i64(1)}, {"sigma", f64(1.0)}});
  const double a = std::exp(-0.5) / (1 + 2 * std::exp(-0.5)), b = 1 / (1 + 2 * std::exp(-0.5));
  EXPECT_EQ(out.at<cv::Vec3b>(1, 1)[0], std::lround(255 * b * b));      // 52
  EXPECT_EQ(out.at<cv::Vec3b>(0, 1)[1], std::lround(255 * b * 2 * a));  // 63: reflect pads twice
  EXPECT_EQ(out.at<cv::Vec3b>(0, 0)[2], std::lround(255 * 4 * a * a));  // 77
  EXPECT_EQ(out.at<cv::Vec3b>(1, 1)[0], 52);
  EXPECT_EQ(out.at<cv::Vec3b>(0, 1)[0], 63);
  EXPECT_EQ(out.at<cv::Vec3b>(0, 0)[0], 77);
}

TEST(ImageFilterNodes, BlurMatchesComfyOnNoiseForSeveralRadii) {
  const cv::Mat in = noiseImage(13, 17);  // odd sizes
  for (auto [r, sigma] : {std::pair{1, 1.0}, {2, 0.5}, {3, 2.0}, {6, 10.0}}) {
    const cv::Mat out =
        runImage("ImageBlur", {{"image", img(in)}, {"blur_radius", i64(r)}, {"sigma", f64(sigma)}});
    EXPECT_LE(maxDiff(out, roundToU8(comfyBlurRef(in, r, sigma))), 1)
        << "r=" << r << " sigma=" << sigma;
  }
}

TEST(ImageFilterNodes, BlurKeepsAConstantImage) {
  const cv::Mat in = rgb(5, 4, {10, 200, 77});
  EXPECT_EQ(maxDiff(runImage("ImageBlur", {{"image", img(in)}, {"blur_radius", i64(2)}}), in), 0);
}

TEST(ImageFilterNodes, FiltersOfAViewIgnorePixelsOutsideIt) {
  // A node may get a view into a bigger buffer: edges are reflected inside the view, as for a copy.
  const cv::Mat big = noiseImage(12, 14, 4);
  const cv::Mat view = big(cv::Rect(3, 2, 7, 6));
  for (const char* t : {"ImageBlur", "ImageSharpen"})
    EXPECT_EQ(
        maxDiff(runImage(t, {{"image", img(view)}}), runImage(t, {{"image", img(view.clone())}})),
        0)
        << t;
}

TEST(ImageFilterNodes, SharpenIsUnsharpMaskWithTenAlpha) {
  // 100 everywhere, 200 in the centre; alpha 0.05 → 1.5·x − 0.5·blur(x).
  const cv::Mat in = greyImage(3, 3, [](int x, int y) { return x == 1 && y == 1 ? 200 : 100; });
  const cv::Mat out = runImage(
      "ImageSharpen",
      {{"image", img(in)}, {"sharpen_radius", i64(1)}, {"sigma", f64(1.0)}, {"alpha", f64(0.05)}});
  EXPECT_EQ(out.at<cv::Vec3b>(1, 1)[0], 240);  // 300 − 0.5·120.418
  EXPECT_EQ(out.at<cv::Vec3b>(0, 0)[0], 85);   // 150 − 0.5·130.046
}

TEST(ImageFilterNodes, SharpenMatchesComfyOnNoiseAndClamps) {
  const cv::Mat in = noiseImage(9, 11, 3);
  for (double alpha : {0.0, 0.3, 5.0}) {
    const cv::Mat blur = comfyBlurRef(in, 2, 1.5);
    cv::Mat inD, ref;
    in.convertTo(inD, CV_64F);
    ref = inD * (1 + 10 * alpha) - blur * (10 * alpha);
    const cv::Mat out = runImage("ImageSharpen", {{"image", img(in)},
                                                  {"sharpen_radius", i64(2)},
                                                  {"sigma", f64(1.5)},
                                                  {"alpha", f64(alpha)}});
    EXPECT_LE(maxDiff(out, roundToU8(ref)), 1) << alpha;
  }
  EXPECT_EQ(maxDiff(runImage("ImageSharpen", {{"image", img(in)}, {"alpha", f64(0.0)}}), in), 0);
}

double blendRef(double a, double b, double f, const std::string& mode) {
  a /= 255;
  b /= 255;
  double m = b;
  if (mode == "multiply") m = a * b;
  if (mode == "screen") m = 1 - (1 - a) * (1 - b);
  if (mode == "overlay") m = a <= 0.5 ? 2 * a * b : 1 - 2 * (1 - a) * (1 - b);
  if (mode == "soft_light") {
    const double g = a <= 0.25 ? ((16 * a - 12) * a + 4) * a : std::sqrt(a);
    m = b <= 0.5 ? a - (1 - 2 * b) * a * (1 - a) : a + (2 * b - 1) * (g - a);
  }
  if (mode == "difference") m = a - b;
  return 255 * std::clamp(a * (1 - f) + m * f, 0.0, 1.0);
}

TEST(ImageFilterNodes, BlendModesMatchComfyFormulas) {
  const cv::Mat a = noiseImage(6, 7, 1), b = noiseImage(6, 7, 2);
  for (const char* mode : {"normal", "multiply", "screen", "overlay", "soft_light", "difference"})
    for (double f : {0.0, 0.3, 1.0}) {
      const cv::Mat out = runImage("ImageBlend", {{"image1", img(a)},
                                                  {"image2", img(b)},
                                                  {"blend_factor", f64(f)},
                                                  {"blend_mode", str(mode)}});
      double worst = 0;
      for (int y = 0; y < a.rows; ++y)
        for (int x = 0; x < a.cols * 3; ++x)
          worst = std::max(worst,
                           std::abs(out.ptr<uint8_t>(y)[x] -
                                    blendRef(a.ptr<uint8_t>(y)[x], b.ptr<uint8_t>(y)[x], f, mode)));
      EXPECT_LE(worst, 0.5 + 1e-3) << mode << " " << f;  // correctly rounded
    }
}

TEST(ImageFilterNodes, BlendKnownPixels) {
  auto one = [](int a, int b, double f, const char* mode) {
    return runImage("ImageBlend", {{"image1", img(rgb(1, 1, {a, a, a}))},
                                   {"image2", img(rgb(1, 1, {b, b, b}))},
                                   {"blend_factor", f64(f)},
                                   {"blend_mode", str(mode)}})
        .at<cv::Vec3b>(0, 0)[0];
  };
  EXPECT_EQ(one(100, 200, 0.5, "normal"), 150);
  EXPECT_EQ(one(128, 128, 1.0, "multiply"), 64);     // 128·128/255 = 64.25
  EXPECT_EQ(one(100, 200, 1.0, "difference"), 0);    // a − b, clamped: not |a − b|
  EXPECT_EQ(one(200, 100, 0.5, "difference"), 150);  // a − f·b
  EXPECT_EQ(one(0, 255, 1.0, "screen"), 255);
}

TEST(ImageFilterNodes, BlendResizesImage2ToImage1) {
  const cv::Mat a = rgb(4, 4, {0, 0, 0});
  const cv::Mat b = rgb(3, 5, {200, 100, 50});  // other aspect: centre-cropped, then bicubic
  const cv::Mat out =
      runImage("ImageBlend", {{"image1", img(a)}, {"image2", img(b)}, {"blend_factor", f64(1.0)}});
  EXPECT_EQ(out.size(), a.size());
  EXPECT_EQ(maxDiff(out, rgb(4, 4, {200, 100, 50})), 0);
}

TEST(ImageFilterNodes, CannyFindsTheOutlineOfASquareOnly) {
  const cv::Mat in = greyImage(
      16, 16, [](int x, int y) { return x >= 4 && x <= 11 && y >= 4 && y <= 11 ? 255 : 0; });
  const cv::Mat out = runImage("Canny", {{"image", img(in)}});
  ASSERT_EQ(out.size(), in.size());
  int edges = 0;
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 16; ++x) {
      const cv::Vec3b p = out.at<cv::Vec3b>(y, x);
      ASSERT_TRUE(p[0] == 0 || p[0] == 255);
      ASSERT_TRUE(p[0] == p[1] && p[1] == p[2]);
      if (!p[0]) continue;
      ++edges;
      // Within one pixel of the square's outline.
      const bool nearBorder =
          x >= 3 && x <= 12 && y >= 3 && y <= 12 && !(x >= 5 && x <= 10 && y >= 5 && y <= 10);
      EXPECT_TRUE(nearBorder) << x << "," << y;
    }
  EXPECT_GE(edges, 4 * 6);  // every side is found
  // A flat image and thresholds above its (zero) gradient: nothing.
  EXPECT_EQ(
      cv::countNonZero(runImage("Canny", {{"image", img(rgb(8, 8, {90, 90, 90}))}}).reshape(1)), 0);
}

TEST(ImageFilterNodes, CannyThresholdsAreOnTheZeroToOneGradient) {
  // A vertical ramp of 20 codes per pixel: Sobel magnitude ≈ 8·20/255 = 0.63 after the blur.
  const cv::Mat in = greyImage(12, 12, [](int x, int) {
    return x < 3 ? 0 : x > 8 ? 120 : (x - 3) * 20;
  });
  auto count = [&](double lo, double hi) {
    return cv::countNonZero(
        runImage("Canny",
                 {{"image", img(in)}, {"low_threshold", f64(lo)}, {"high_threshold", f64(hi)}})
            .reshape(1));
  };
  EXPECT_GT(count(0.3, 0.5), 0);
  EXPECT_EQ(count(0.8, 0.9), 0);
}

TEST(ImageFilterNodes, EmptyImageIsTheColour) {
  const cv::Mat out =
      runImage("EmptyImage", {{"width", i64(7)}, {"height", i64(5)}, {"color", i64(0x123456)}});
  EXPECT_EQ(out.size(), cv::Size(7, 5));
  EXPECT_EQ(maxDiff(out, rgb(5, 7, {0x12, 0x34, 0x56})), 0);
}

TEST(ImageFilterNodes, EmptyImageRejectsBatches) {
  EXPECT_THROW({ NodeHarness h("EmptyImage", {{"batch_size", i64(2)}}); }, NodeInputError);
}

TEST(ImageFilterNodes, ColorAdjustDefaultsAreTheIdentity) {
  const cv::Mat in = noiseImage(5, 6);
  EXPECT_EQ(maxDiff(runImage("ImageColorAdjust", {{"image", img(in)}}), in), 0);
}

TEST(ImageFilterNodes, ColorAdjustKnownPixels) {
  auto adj = [](cv::Mat in, double b, double c, double s) {
    return runImage("ImageColorAdjust", {{"image", img(in)},
                                         {"brightness", f64(b)},
                                         {"contrast", f64(c)},
                                         {"saturation", f64(s)}})
        .at<cv::Vec3b>(0, 0);
  };
  EXPECT_EQ(adj(rgb(1, 1, {200, 40, 0}), 0.5, 1, 1), cv::Vec3b(100, 20, 0));
  EXPECT_EQ(adj(rgb(1, 1, {100, 100, 100}), 1, 1.5, 1), cv::Vec3b(86, 86, 86));  // 127.5 − 1.5·27.5
  EXPECT_EQ(adj(rgb(1, 1, {255, 0, 0}), 1, 1, 0), cv::Vec3b(76, 76, 76));        // luma 76.245
  EXPECT_EQ(adj(rgb(1, 1, {200, 100, 50}), 1, 1, 2), cv::Vec3b(255, 76, 0));  // 2x − L, L = 124.2
  EXPECT_EQ(adj(rgb(1, 1, {10, 20, 30}), 1, 0, 1), cv::Vec3b(128, 128, 128));  // flat mid-grey
}

TEST(ImageFilterNodes, DepthColorMapColoursTheLuminanceInRgbOrder) {
  const cv::Mat in = greyImage(2, 4, [](int x, int y) { return x * 80 + y; });
  const cv::Mat grey = runImage("DepthColorMap", {{"image", img(in)}, {"colormap", str("gray")}});
  EXPECT_EQ(maxDiff(grey, in), 0);

  const cv::Mat inferno = runImage("DepthColorMap", {{"image", img(in)}});  // default: inferno
  cv::Mat g, bgr, want;
  cv::cvtColor(in, g, cv::COLOR_RGB2GRAY);
  cv::applyColorMap(g, bgr, cv::COLORMAP_INFERNO);
  cv::cvtColor(bgr, want, cv::COLOR_BGR2RGB);
  EXPECT_EQ(maxDiff(inferno, want), 0);
  // Inferno's top is pale yellow: red well above blue in RGB order.
  const cv::Vec3b top =
      runImage("DepthColorMap", {{"image", img(rgb(1, 1, {255, 255, 255}))}}).at<cv::Vec3b>(0, 0);
  EXPECT_GT(top[0], top[2] + 50);
}

TEST(ImageFilterNodes, EmptyInputGivesEmptyOutput) {
  for (const char* t :
       {"ImageInvert", "ImageBlur", "ImageSharpen", "Canny", "ImageColorAdjust", "DepthColorMap"})
    EXPECT_TRUE(runImage(t, {{"image", img(cv::Mat())}}).empty()) << t;
  EXPECT_TRUE(
      runImage("ImageBlend", {{"image1", img(cv::Mat())}, {"image2", img(rgb(2, 2, {1, 2, 3}))}})
          .empty());
}

}  // namespace
}  // namespace cs::test
