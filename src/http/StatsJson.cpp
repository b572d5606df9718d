#include "http/StatsJson.h"

namespace cs {
namespace {

nlohmann::json latencyJson(const LatencyTracker::Summary& lat) {
  return {{"p50", lat.p50Ms}, {"p95", lat.p95Ms}, {"samples", lat.samples}};
}

std::string codecName(const std::optional<VideoCodec>& c) {
  return c ? std::string(toString(*c)) : std::string();
}

}  // namespace

nlohmann::json streamStatsJson(const StreamStats& s) {
  nlohmann::json minute = nlohmann::json::array();
  for (const auto& sample : s.fps.minute)
    minute.push_back({{"timestamp", sample.time}, {"fps", sample.fps}});
  nlohmann::json j = {
      {"timestamp", s.fps.timestamp},
      {"fps", s.fps.fps},
      {"minute_avg_fps", s.fps.minuteAvgFps},
      {"minute_fps_array", std::move(minute)},
      {"stream_id", s.streamId},
      {"frames_processed", s.framesProcessed},
      {"frames_dropped", s.framesDropped},
      {"frames_failed", s.framesFailed},
      {"paused", s.paused},
      {"viewers", s.viewers},
      {"server_latency_ms", latencyJson(s.latency)},
      {"encoder_frames_dropped", s.encoderFramesDropped},
      // Decoded frames per second from the publisher, before the workflow (the last 1 s sample;
      // /metrics: comfystream_stream_input_fps).
      {"input_fps", s.fpsIn.fps},
  };
  if (!s.workflow.empty()) {
    j["workflow"] = s.workflow;
    nlohmann::json nodes = nlohmann::json::object();
    for (size_t i = 0; i < s.nodes.size(); ++i)
      for (const auto& t : s.nodes[i])
        nodes[std::to_string(i)][t.id] = {
            {"class_type", t.classType}, {"last_ms", t.lastMs}, {"failures", t.failures}};
    j["nodes"] = std::move(nodes);
  }
  return j;
}

nlohmann::json publisherStatsJson(const PublisherStats& p, const StreamStats* stream) {
  nlohmann::json j = {
      {"created_at", p.info.createdAt},
      {"connection_state", std::string(toString(p.state))},
      {"has_video", p.videoCodec.has_value()},
      {"has_audio", p.hasAudio},
      {"stream_id", p.info.streamId},
      {"workflow", p.workflow},
      {"video_codec", codecName(p.videoCodec)},
      {"frames_received", p.framesReceived},
  };
  if (stream) {
    j["frames_processed"] = stream->framesProcessed;
    j["frames_dropped"] = stream->framesDropped;
    j["width"] = stream->width;
    j["height"] = stream->height;
    j["process_us"] = stream->processUs;
    j["server_latency_ms"] = latencyJson(stream->latency);
  }
  return j;
}

nlohmann::json viewerStatsJson(const ViewerStats& v) {
  return {
      {"created_at", v.info.createdAt},        {"connection_state", std::string(toString(v.state))},
      {"has_video", v.videoCodec.has_value()}, {"has_audio", v.hasAudio},
      {"stream_id", v.info.streamId},          {"video_codec", codecName(v.videoCodec)},
      {"frames_sent", v.framesSent},           {"frames_dropped", v.framesDropped},
  };
}

}  // namespace cs
