// Mask nodes against comfy_extras/nodes_mask.py on small known masks.
#include <gtest/gtest.h>

#include "NodeTestUtil.h"

namespace cs::test {
namespace {

TEST(MaskNodes, ImageToMaskTakesOneChannelOver255) {
  const cv::Mat in = rgb(1, 2, {0, 51, 255, 255, 102, 1});
  auto ch = [&](const char* c) {
    return runMask("ImageToMask", {{"image", img(in)}, {"channel", str(c)}});
  };
  EXPECT_EQ(maxDiff(ch("red"), maskOf(1, 2, {0.f, 1.f})), 0);
  EXPECT_EQ(maxDiff(ch("green"), maskOf(1, 2, {51 / 255.f, 102 / 255.f})), 0);
  EXPECT_EQ(maxDiff(ch("blue"), maskOf(1, 2, {1.f, 1 / 255.f})), 0);
  EXPECT_EQ(maxDiff(ch("alpha"), maskOf(1, 2, {1.f})), 0);  // frames are opaque
}

TEST(MaskNodes, MaskToImageReplicatesTheMask) {
  const cv::Mat out =
      runImage("MaskToImage", {{"mask", msk(maskOf(1, 4, {0.f, 0.5f, 1.f, 1.7f}))}});
  EXPECT_EQ(maxDiff(out, rgb(1, 4, {0, 0, 0, 128, 128, 128, 255, 255, 255, 255, 255, 255})), 0);
}

TEST(MaskNodes, ImageMaskRoundTripIsLossless) {
  const cv::Mat in = greyImage(16, 16, [](int x, int y) { return y * 16 + x; });
  const cv::Mat m = runMask("ImageToMask", {{"image", img(in)}});
  EXPECT_EQ(maxDiff(runImage("MaskToImage", {{"mask", msk(m)}}), in), 0);
}

TEST(MaskNodes, InvertMaskIsOneMinus) {
  EXPECT_EQ(maxDiff(runMask("InvertMask", {{"mask", msk(maskOf(1, 3, {0.f, 0.25f, 1.f}))}}),
                    maskOf(1, 3, {1.f, 0.75f, 0.f})),
            0);
}

TEST(MaskNodes, ThresholdIsStrictlyGreaterInFloat32) {
  const cv::Mat m = maskOf(1, 4, {0.1f, 0.5f, 0.50001f, 0.9f});
  EXPECT_EQ(
      maxDiff(runMask("ThresholdMask", {{"mask", msk(m)}}), maskOf(1, 4, {0.f, 0.f, 1.f, 1.f})), 0);
  // float(0.1) > 0.1 in double, but torch compares in float32: not above.
  EXPECT_EQ(maxDiff(runMask("ThresholdMask", {{"mask", msk(m)}, {"value", f64(0.1)}}),
                    maskOf(1, 4, {0.f, 1.f, 1.f, 1.f})),
            0);
}

TEST(MaskNodes, SolidMaskIsConstant) {
  const cv::Mat m =
      runMask("SolidMask", {{"value", f64(0.25)}, {"width", i64(3)}, {"height", i64(2)}});
  EXPECT_EQ(maxDiff(m, maskOf(2, 3, {0.25f})), 0);
}

TEST(MaskNodes, GrowMaskWithTaperedCornersGrowsADiamond) {
  cv::Mat m = maskOf(7, 7, {0.f});
  m.at<float>(3, 3) = 1.f;
  const cv::Mat d =
      runMask("GrowMask", {{"mask", msk(m)}, {"expand", i64(2)}, {"tapered_corners", true}});
  for (int y = 0; y < 7; ++y)
    for (int x = 0; x < 7; ++x)
      EXPECT_EQ(d.at<float>(y, x), std::abs(x - 3) + std::abs(y - 3) <= 2 ? 1.f : 0.f);
  const cv::Mat s =
      runMask("GrowMask", {{"mask", msk(m)}, {"expand", i64(2)}, {"tapered_corners", false}});
  for (int y = 0; y < 7; ++y)
    for (int x = 0; x < 7; ++x)
      EXPECT_EQ(s.at<float>(y, x), std::abs(x - 3) <= 2 && std::abs(y - 3) <= 2 ? 1.f : 0.f);
}

TEST(MaskNodes, GrowMaskNegativeErodesAndKeepsGreyLevels) {
  cv::Mat m = maskOf(5, 6, {0.5f});
  m.at<float>(0, 0) = 0.2f;  // erosion spreads the minimum; the image edge does not count as 0
  const cv::Mat e =
      runMask("GrowMask", {{"mask", msk(m)}, {"expand", i64(-1)}, {"tapered_corners", false}});
  for (int y = 0; y < 5; ++y)
    for (int x = 0; x < 6; ++x)
      EXPECT_EQ(e.at<float>(y, x), x <= 1 && y <= 1 ? 0.2f : 0.5f) << x << "," << y;
  EXPECT_EQ(maxDiff(runMask("GrowMask", {{"mask", msk(m)}, {"expand", i64(0)}}), m), 0);
  // A huge expand saturates instead of looping 16384 times.
  EXPECT_EQ(maxDiff(runMask("GrowMask", {{"mask", msk(m)}, {"expand", i64(-16384)}}),
                    maskOf(5, 6, {0.2f})),
            0);
}

TEST(MaskNodes, GrowMaskOfAViewIgnoresPixelsOutsideIt) {
  cv::Mat big = maskOf(6, 6, {1.f});
  cv::Mat view = big(cv::Rect(1, 1, 4, 4));
  view.setTo(0.f);
  EXPECT_EQ(
      maxDiff(runMask("GrowMask", {{"mask", msk(view)}, {"expand", i64(1)}}), maskOf(4, 4, {0.f})),
      0);
}

TEST(MaskNodes, CropMaskSlicesLikePython) {
  const cv::Mat m = maskOf(3, 4, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  auto crop = [&](int x, int y, int w, int h) {
    return runMask(
        "CropMask",
        {{"mask", msk(m)}, {"x", i64(x)}, {"y", i64(y)}, {"width", i64(w)}, {"height", i64(h)}});
  };
  EXPECT_EQ(maxDiff(crop(1, 1, 2, 5), maskOf(2, 2, {5, 6, 9, 10})), 0);
  EXPECT_TRUE(crop(4, 0, 2, 2).empty());  // starts past the edge: empty, the frame is dropped
}

TEST(MaskNodes, FeatherMaskReproducesComfyIndexing) {
  const cv::Mat ones = maskOf(2, 5, {1.f});
  const cv::Mat l = runMask("FeatherMask", {{"mask", msk(ones)}, {"left", i64(2)}});
  EXPECT_EQ(maxDiff(l, maskOf(2, 5, {0.5f, 1, 1, 1, 1, 0.5f, 1, 1, 1, 1})), 0);
  // right = 3: column 0 ×1/3 (Python's [-0]), then columns -1, -2 ×2/3, ×1.
  const cv::Mat r = runMask("FeatherMask", {{"mask", msk(ones)}, {"right", i64(3)}});
  const float a = static_cast<float>(1.0 / 3), b = static_cast<float>(2.0 / 3);
  EXPECT_EQ(maxDiff(r, maskOf(2, 5, {a, 1, 1, 1, b, a, 1, 1, 1, b})), 0);
  const cv::Mat t =
      runMask("FeatherMask", {{"mask", msk(ones)}, {"top", i64(9)}});  // clamped to the height
  EXPECT_EQ(maxDiff(t, maskOf(2, 5, {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 1, 1, 1, 1, 1})), 0);
}

TEST(MaskNodes, MaskCompositeOperationsAndClamp) {
  const cv::Mat d = maskOf(2, 3, {0.2f, 0.6f, 1.f, 0.4f, 0.8f, 0.f});
  const cv::Mat s = maskOf(1, 2, {0.5f, 0.9f});
  auto op = [&](const char* o, int x, int y) {
    return runMask("MaskComposite", {{"destination", msk(d)},
                                     {"source", msk(s)},
                                     {"x", i64(x)},
                                     {"y", i64(y)},
                                     {"operation", str(o)}});
  };
  EXPECT_EQ(maxDiff(op("multiply", 1, 1), maskOf(2, 3, {0.2f, 0.6f, 1.f, 0.4f, 0.4f, 0.f})), 0);
  EXPECT_EQ(maxDiff(op("add", 1, 0), maskOf(2, 3, {0.2f, 1.f, 1.f, 0.4f, 0.8f, 0.f})),
            0);                                               // clamped
  EXPECT_NEAR(op("subtract", 0, 0).at<float>(0, 0), 0.f, 0);  // 0.2 − 0.5 → 0
  // and/or/xor: a value is on when it rounds to 1 (above 0.5).
  EXPECT_EQ(maxDiff(op("and", 1, 0), maskOf(2, 3, {0.2f, 0.f, 1.f, 0.4f, 0.8f, 0.f})), 0);
  EXPECT_EQ(maxDiff(op("or", 0, 0), maskOf(2, 3, {0.f, 1.f, 1.f, 0.4f, 0.8f, 0.f})), 0);
  EXPECT_EQ(maxDiff(op("xor", 1, 1), maskOf(2, 3, {0.2f, 0.6f, 1.f, 0.4f, 1.f, 1.f})), 0);
  EXPECT_EQ(maxDiff(op("add", 3, 0), d), 0);  // placed past the edge: unchanged
}

TEST(MaskNodes, ImageColorToMaskMatchesExactly) {
  const cv::Mat in = rgb(1, 3, {0x12, 0x34, 0x56, 0x12, 0x34, 0x57, 0, 0, 0});
  EXPECT_EQ(maxDiff(runMask("ImageColorToMask", {{"image", img(in)}, {"color", i64(0x123456)}}),
                    maskOf(1, 3, {1.f, 0.f, 0.f})),
            0);
  EXPECT_EQ(
      maxDiff(runMask("ImageColorToMask", {{"image", img(in)}}), maskOf(1, 3, {0.f, 0.f, 1.f})), 0);
}

TEST(MaskNodes, EmptyInputGivesEmptyOutput) {
  for (const char* t : {"InvertMask", "ThresholdMask", "GrowMask", "CropMask", "FeatherMask"})
    EXPECT_TRUE(runMask(t, {{"mask", msk(cv::Mat())}}).empty()) << t;
  EXPECT_TRUE(runImage("MaskToImage", {{"mask", msk(cv::Mat())}}).empty());
  EXPECT_TRUE(runMask("ImageToMask", {{"image", img(cv::Mat())}}).empty());
}

}  // namespace
}  // namespace cs::test
