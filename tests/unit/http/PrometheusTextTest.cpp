#include "http/PrometheusText.h"

#include <gtest/gtest.h>

#include <array>

namespace cs::http {
namespace {

TEST(PrometheusText, EscapesLabelValuesAsTheFormatAsks) {
  EXPECT_EQ(escapeLabelValue(R"(a"b\c)"), R"(a\"b\\c)");
  EXPECT_EQ(escapeLabelValue("line\nbreak"), "line\\nbreak");
  EXPECT_EQ(escapeLabelValue("plain é"), "plain é");  // UTF-8 passes as it is
  // HELP escapes only backslash and line feed; a quote stays.
  EXPECT_EQ(escapeHelp("say \"hi\"\\\n"), "say \"hi\"\\\\\\n");
}

TEST(PrometheusText, FormatsValues) {
  EXPECT_EQ(formatValue(0), "0");
  EXPECT_EQ(formatValue(42), "42");
  EXPECT_EQ(formatValue(18446744073.0), "18446744073");
  EXPECT_EQ(formatValue(0.0025), "0.0025");
  EXPECT_EQ(formatValue(29.97), "29.97");
  EXPECT_EQ(formatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(formatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(formatValue(std::numeric_limits<double>::quiet_NaN()), "NaN");
}

TEST(PrometheusText, WritesFamiliesWithHelpTypeAndEscapedLabels) {
  PrometheusText out;
  out.family("comfystream_streams", PrometheusText::Type::Gauge, "Streams.");
  out.sample(2);
  out.family("x_bytes_total", PrometheusText::Type::Counter, "Bytes\nsent.");
  out.sample({{"stream_id", "a\"b\\\nc"}, {"codec", "h264"}}, 7);
  EXPECT_EQ(out.text(),
            "# HELP comfystream_streams Streams.\n"
            "# TYPE comfystream_streams gauge\n"
            "comfystream_streams 2\n"
            "# HELP x_bytes_total Bytes\\nsent.\n"
            "# TYPE x_bytes_total counter\n"
            "x_bytes_total{stream_id=\"a\\\"b\\\\\\nc\",codec=\"h264\"} 7\n");
}

TEST(PrometheusText, HistogramBucketsAreCumulativeAndEndWithInf) {
  static constexpr std::array<double, 3> kBounds{0.01, 0.1, 1};
  HistogramSample h;
  h.bounds = kBounds;
  h.counts = {2, 0, 3, 1};  // per bucket; the last is past 1 s
  h.sum = 1.75;
  PrometheusText out;
  out.family("lat_seconds", PrometheusText::Type::Histogram, "Latency.");
  out.histogram({{"stream_id", "s"}}, h);
  EXPECT_EQ(out.text(),
            "# HELP lat_seconds Latency.\n"
            "# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{stream_id=\"s\",le=\"0.01\"} 2\n"
            "lat_seconds_bucket{stream_id=\"s\",le=\"0.1\"} 2\n"
            "lat_seconds_bucket{stream_id=\"s\",le=\"1\"} 5\n"
            "lat_seconds_bucket{stream_id=\"s\",le=\"+Inf\"} 6\n"
            "lat_seconds_sum{stream_id=\"s\"} 1.75\n"
            "lat_seconds_count{stream_id=\"s\"} 6\n");
}

TEST(PrometheusText, EmptyHistogramStillHasEveryBucket) {
  static constexpr std::array<double, 2> kBounds{0.5, 1};
  HistogramSample h;
  h.bounds = kBounds;
  h.counts = {0, 0, 0};
  PrometheusText out;
  out.family("h", PrometheusText::Type::Histogram, "H.");
  out.histogram({}, h);
  EXPECT_EQ(out.text(),
            "# HELP h H.\n# TYPE h histogram\n"
            "h_bucket{le=\"0.5\"} 0\nh_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} 0\n"
            "h_sum 0\nh_count 0\n");
}

}  // namespace
}  // namespace cs::http
