#include "media/LatencyHistogram.h"

#include <gtest/gtest.h>

namespace cs {
namespace {

TEST(LatencyHistogram, CountsEachObservationInTheFirstBucketThatHoldsIt) {
  LatencyHistogram h;
  h.observe(500'000);        // 0.5 ms → le 0.001
  h.observe(1'000'000);      // exactly 1 ms: le is "less than or equal"
  h.observe(12'000'000);     // 12 ms → le 0.015
  h.observe(3'000'000'000);  // 3 s → +Inf
  h.observe(-5);             // a clock step back counts as 0
  const auto s = h.snapshot();
  EXPECT_EQ(s.counts[0], 3u);
  EXPECT_EQ(s.counts[4], 1u);  // 0.015
  EXPECT_EQ(s.counts[LatencyHistogram::kBuckets - 1], 1u);
  EXPECT_EQ(s.count(), 5u);
  EXPECT_NEAR(s.sumSeconds, 3.0135, 1e-9);
}

TEST(LatencyHistogram, BoundsAscend) {
  for (size_t i = 1; i < LatencyHistogram::kBoundsSeconds.size(); ++i)
    EXPECT_LT(LatencyHistogram::kBoundsSeconds[i - 1], LatencyHistogram::kBoundsSeconds[i]);
}

}  // namespace
}  // namespace cs
