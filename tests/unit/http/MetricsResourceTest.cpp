#include "http/MetricsResource.h"

#include <gtest/gtest.h>

namespace cs {
namespace {

bool has(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

TEST(MetricsText, ReportsCountsViewerKindsAndByocStatuses) {
  MetricsInput in;
  in.processStartTime = 1700000000.5;
  in.publishers.resize(1);
  in.viewers.resize(3);
  in.viewers[1].kind = ViewerKind::Recording;
  in.byocSessions.emplace();
  (*in.byocSessions)[{Capability::Video, SessionStatus::Processing}] = 2;
  in.httpResponses = {0, 7, 0, 3, 1};
  const std::string t = metricsText(in);
  EXPECT_EQ(t.rfind("# HELP process_start_time_seconds ", 0), 0u);
  EXPECT_TRUE(has(t, "process_start_time_seconds 1700000000.5"));
  EXPECT_TRUE(has(t, "comfystream_streams 0"));
  EXPECT_TRUE(has(t, "comfystream_publishers 1"));
  EXPECT_TRUE(has(t, "comfystream_viewers{kind=\"whep\"} 2"));
  EXPECT_TRUE(has(t, "comfystream_viewers{kind=\"recording\"} 1"));
  EXPECT_TRUE(has(t, "comfystream_viewers{kind=\"push\"} 0"));
  EXPECT_TRUE(has(
      t, "comfystream_byoc_sessions{capability=\"comfystream-video\",status=\"processing\"} 2"));
  EXPECT_TRUE(has(t, "comfystream_byoc_sessions{capability=\"whip-ingest\",status=\"failed\"} 0"));
  EXPECT_TRUE(has(t, "comfystream_http_responses_total{status_class=\"2xx\"} 7"));
  EXPECT_TRUE(has(t, "comfystream_http_responses_total{status_class=\"4xx\"} 3"));
  EXPECT_TRUE(has(t, "comfystream_http_responses_total{status_class=\"5xx\"} 1"));
  // No stream: no per-stream family at all (a family without samples says nothing).
  EXPECT_EQ(t.find("stream_fps"), std::string::npos);
}

TEST(MetricsText, PerStreamSeriesCarryTheEscapedStreamId) {
  MetricsInput in;
  StreamStats s;
  s.streamId = "cam \"1\"\\x";
  s.fps.fps = 29.5;
  s.fpsIn.fps = 30;
  s.framesIn = 100;
  s.framesDropped = 3;
  s.encoders.push_back({VideoCodec::VP8, 90, 123456, 1});
  s.latencyHistogram.counts[0] = 4;
  s.latencyHistogram.counts[LatencyHistogram::kBuckets - 1] = 1;
  s.latencyHistogram.sumSeconds = 3.0;
  s.networkBytesSent = 999;
  in.streams.push_back(s);
  const std::string t = metricsText(in);
  const std::string id = R"(stream_id="cam \"1\"\\x")";
  EXPECT_TRUE(has(t, "stream_fps{" + id + "} 29.5"));
  EXPECT_TRUE(has(t, "comfystream_stream_input_fps{" + id + "} 30"));
  EXPECT_TRUE(has(t, "comfystream_stream_frames_received_total{" + id + "} 100"));
  EXPECT_TRUE(has(t, "comfystream_stream_frames_dropped_total{" + id + ",reason=\"busy\"} 3"));
  EXPECT_TRUE(has(t, "comfystream_stream_encoded_bytes_total{" + id + ",codec=\"VP8\"} 123456"));
  EXPECT_TRUE(
      has(t, "comfystream_stream_server_latency_seconds_bucket{" + id + ",le=\"0.001\"} 4"));
  EXPECT_TRUE(has(t, "comfystream_stream_server_latency_seconds_bucket{" + id + ",le=\"2.5\"} 4"));
  EXPECT_TRUE(has(t, "comfystream_stream_server_latency_seconds_bucket{" + id + ",le=\"+Inf\"} 5"));
  EXPECT_TRUE(has(t, "comfystream_stream_server_latency_seconds_count{" + id + "} 5"));
  EXPECT_TRUE(has(t, "comfystream_stream_network_sent_bytes_total{" + id + "} 999"));
  EXPECT_TRUE(has(t, "# TYPE comfystream_stream_server_latency_seconds histogram"));
  EXPECT_TRUE(has(t, "# TYPE comfystream_stream_encoded_bytes_total counter"));
}

}  // namespace
}  // namespace cs
