#include "media/LatencyTracker.h"

#include <gtest/gtest.h>

namespace cs {
namespace {

TEST(LatencyTracker, SamplesMeasuredElsewhereGiveExactPercentilesAndFillTheHistogram) {
  LatencyTracker t;
  for (int ms = 1; ms <= 100; ++ms) t.addSample(int64_t{ms} * 1'000'000);
  const auto s = t.summary();
  EXPECT_EQ(s.samples, 100u);
  EXPECT_NEAR(s.p50Ms, 50, 1);
  EXPECT_NEAR(s.p95Ms, 95, 1);
  EXPECT_EQ(t.histogram().count(), 100u);
}

TEST(LatencyTracker, TheWindowKeepsTheLatestSamples) {
  LatencyTracker t;
  for (int i = 0; i < 600; ++i) t.addSample(1'000'000'000);  // 1 s, then pushed out
  for (int i = 0; i < 600; ++i) t.addSample(2'000'000);
  EXPECT_NEAR(t.summary().p95Ms, 2, 0.01);
  EXPECT_EQ(t.histogram().count(), 1200u);  // the histogram keeps every frame
}

}  // namespace
}  // namespace cs
