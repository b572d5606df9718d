#include <gtest/gtest.h>

#include <vector>

#include "workflow/FrameWorkflow.h"

namespace cs {
namespace {

struct Frame {
  Frame(int w, int h) {
    view.width = w;
    view.height = h;
    for (int p = 0; p < 3; ++p) {
      view.strides[p] = view.planeWidth(p) + 3;  // padded rows, as decoders produce
      data[p].assign(static_cast<size_t>(view.strides[p] * view.planeHeight(p)), 0);
      view.planes[p] = data[p].data();
    }
  }
  std::vector<uint8_t> data[3];
  I420View view;
};

TEST(BuiltinWorkflows, UnknownNameIsNull) { EXPECT_EQ(makeBuiltinWorkflow("sdxl"), nullptr); }

TEST(BuiltinWorkflows, InvertIsRgbInversionInLimitedRangeYuv) {
  auto wf = makeBuiltinWorkflow("invert");
  ASSERT_NE(wf, nullptr);
  EXPECT_FALSE(wf->passthrough());
  Frame in(5, 3), out(5, 3);  // odd sizes: chroma planes round up
  // black, white, mid-grey, and the code-value extremes
  const uint8_t ys[] = {16, 235, 126, 0, 255};
  for (int x = 0; x < 5; ++x) in.view.planes[0][x] = ys[x];
  const uint8_t us[] = {128, 0, 255};
  for (int x = 0; x < 3; ++x) in.view.planes[1][x] = us[x];
  wf->process(in.view, out.view);
  const uint8_t yExpected[] = {235, 16, 125, 251, 0};
  for (int x = 0; x < 5; ++x) EXPECT_EQ(out.view.planes[0][x], yExpected[x]) << x;
  const uint8_t uExpected[] = {128, 255, 1};
  for (int x = 0; x < 3; ++x) EXPECT_EQ(out.view.planes[1][x], uExpected[x]) << x;
  // The last chroma row (row 1 of a 3-line picture) is processed too: V=0 there → 255.
  EXPECT_EQ(out.view.planes[2][out.view.strides[2] * 1], 255);
}

TEST(BuiltinWorkflows, PassthroughCopiesPixels) {
  auto wf = makeBuiltinWorkflow("passthrough");
  ASSERT_TRUE(wf->passthrough());
  Frame in(4, 4), out(4, 4);
  in.view.planes[0][in.view.strides[0] + 3] = 77;  // row 1, last column
  in.view.planes[2][1] = 99;
  wf->process(in.view, out.view);
  EXPECT_EQ(out.view.planes[0][out.view.strides[0] + 3], 77);
  EXPECT_EQ(out.view.planes[2][1], 99);
}

}  // namespace
}  // namespace cs
