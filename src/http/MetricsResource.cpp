#include "http/MetricsResource.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

#include "http/PrometheusText.h"
#include "http/ResponseCounts.h"

namespace cs {
namespace {

using http::PrometheusText;
using Type = PrometheusText::Type;

constexpr std::array<ViewerKind, 4> kViewerKinds = {ViewerKind::Whep, ViewerKind::Recording,
                                                    ViewerKind::Push, ViewerKind::Trickle};
constexpr std::array<SessionStatus, 5> kSessionStatuses = {
    SessionStatus::Ready, SessionStatus::Processing, SessionStatus::Connected,
    SessionStatus::Completed, SessionStatus::Failed};

// One gauge or counter family with a sample per stream.
template <typename Get>
void perStream(PrometheusText& out, const MetricsInput& in, std::string_view name, Type type,
               std::string_view help, Get get) {
  if (in.streams.empty()) return;
  out.family(name, type, help);
  for (const auto& s : in.streams)
    out.sample({{"stream_id", s.streamId}}, static_cast<double>(get(s)));
}

}  // namespace

std::string metricsText(const MetricsInput& in) {
  PrometheusText out;
  out.family("process_start_time_seconds", Type::Gauge,
             "Start time of the process since unix epoch in seconds.");
  out.sample(in.processStartTime);

  out.family("comfystream_streams", Type::Gauge, "Streams the server holds.");
  out.sample(static_cast<double>(in.streams.size()));
  out.family("comfystream_publishers", Type::Gauge, "Publishers (WHIP, /offer, BYOC) attached.");
  out.sample(static_cast<double>(in.publishers.size()));
  out.family("comfystream_viewers", Type::Gauge,
             "Viewers attached, by kind: whep (WHEP and /offer peers), recording, push.");
  for (ViewerKind k : kViewerKinds) {
    unsigned n = 0;
    for (const auto& v : in.viewers) n += v.kind == k ? 1 : 0;
    out.sample({{"kind", toString(k)}}, n);
  }

  // The original's gauge, same name and meaning: frames per second out of the workflow.
  perStream(out, in, "stream_fps", Type::Gauge,
            "Frames per second of the stream (processed, the last 1 s sample)",
            [](const StreamStats& s) { return s.fps.fps; });
  perStream(out, in, "comfystream_stream_input_fps", Type::Gauge,
            "Frames per second its publisher delivers, decoded, before the workflow (the last "
            "1 s sample).",
            [](const StreamStats& s) { return s.fpsIn.fps; });
  perStream(out, in, "comfystream_stream_viewers", Type::Gauge, "Viewers of the stream.",
            [](const StreamStats& s) { return s.viewers; });
  perStream(out, in, "comfystream_stream_frames_received_total", Type::Counter,
            "Decoded frames its publishers handed the stream.",
            [](const StreamStats& s) { return s.framesIn; });
  perStream(out, in, "comfystream_stream_frames_processed_total", Type::Counter,
            "Frames the workflow processed.",
            [](const StreamStats& s) { return s.framesProcessed; });
  if (!in.streams.empty()) {
    out.family("comfystream_stream_frames_dropped_total", Type::Counter,
               "Frames dropped, by reason: busy (a newer frame replaced it before the workflow "
               "took it), failed (the workflow produced nothing), encoder (the encoder's input "
               "queue was full), viewer (a viewer's own queue was full; once per viewer).");
    for (const auto& s : in.streams) {
      const std::pair<std::string_view, uint64_t> reasons[] = {{"busy", s.framesDropped},
                                                               {"failed", s.framesFailed},
                                                               {"encoder", s.encoderFramesDropped},
                                                               {"viewer", s.viewerFramesDropped}};
      for (const auto& [reason, n] : reasons)
        out.sample({{"stream_id", s.streamId}, {"reason", reason}}, static_cast<double>(n));
    }

    out.family("comfystream_stream_server_latency_seconds", Type::Histogram,
               "Server-added latency: a decoded frame's arrival to its encoded counterpart "
               "leaving the encoder.");
    for (const auto& s : in.streams) {
      http::HistogramSample h;
      h.bounds = LatencyHistogram::kBoundsSeconds;
      h.counts.assign(s.latencyHistogram.counts.begin(), s.latencyHistogram.counts.end());
      h.sum = s.latencyHistogram.sumSeconds;
      out.histogram({{"stream_id", s.streamId}}, h);
    }

    out.family("comfystream_stream_encoded_frames_total", Type::Counter,
               "Access units out of the stream's encoder, by codec.");
    for (const auto& s : in.streams)
      for (const auto& e : s.encoders)
        out.sample({{"stream_id", s.streamId}, {"codec", toString(e.codec)}},
                   static_cast<double>(e.frames));
    out.family("comfystream_stream_encoded_bytes_total", Type::Counter,
               "Bytes out of the stream's encoder, by codec (each access unit once, however many "
               "viewers take it).");
    for (const auto& s : in.streams)
      for (const auto& e : s.encoders)
        out.sample({{"stream_id", s.streamId}, {"codec", toString(e.codec)}},
                   static_cast<double>(e.bytes));
  }
  perStream(out, in, "comfystream_stream_network_sent_bytes_total", Type::Counter,
            "Bytes its sessions sent through their ICE transports (DTLS, SRTP, SRTCP datagrams; "
            "without STUN and IP/UDP headers).",
            [](const StreamStats& s) { return s.networkBytesSent; });
  perStream(out, in, "comfystream_stream_network_received_bytes_total", Type::Counter,
            "Bytes its sessions received through their ICE transports (DTLS, SRTP, SRTCP "
            "datagrams; without STUN and IP/UDP headers).",
            [](const StreamStats& s) { return s.networkBytesReceived; });

  out.family("comfystream_http_responses_total", Type::Counter,
             "HTTP answers written, by status class (refusals past a connection cap are 5xx).");
  for (int c = 1; c <= 5; ++c) {
    const char cls[] = {static_cast<char>('0' + c), 'x', 'x', '\0'};
    out.sample({{"status_class", cls}}, static_cast<double>(in.httpResponses[c - 1]));
  }

  if (in.byocSessions) {
    out.family("comfystream_byoc_sessions", Type::Gauge,
               "BYOC sessions held, by capability and status (ended ones until "
               "--session-retention).");
    for (Capability c : kAllCapabilities)
      for (SessionStatus st : kSessionStatuses) {
        const auto it = in.byocSessions->find({c, st});
        out.sample({{"capability", capabilityName(c)}, {"status", toString(st)}},
                   it == in.byocSessions->end() ? 0.0 : static_cast<double>(it->second));
      }
  }
  return out.take();
}

double processStartTime() {
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::ifstream self("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(self)), std::istreambuf_iterator<char>());
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so count from the last ')'.
  // The start time (clock ticks after boot) is field 22, the 20th after the ')'.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return now;
  std::istringstream fields(stat.substr(close + 1));
  std::string field;
  for (int i = 0; i < 20 && fields >> field; ++i) {
  }
  std::ifstream procStat("/proc/stat");
  std::string line;
  double bootTime = 0;
  while (std::getline(procStat, line))
    if (line.rfind("btime ", 0) == 0) bootTime = std::strtod(line.c_str() + 6, nullptr);
  const long ticks = sysconf(_SC_CLK_TCK);
  const double started = std::strtod(field.c_str(), nullptr);
  if (bootTime <= 0 || ticks <= 0 || started <= 0) return now;
  return bootTime + started / static_cast<double>(ticks);
}

void addMetricsRoute(http::Router& router, const StreamRegistry& registry,
                     const SessionManager* byoc, const http::Authorizer& auth) {
  const double started = processStartTime();
  router.get("/metrics",
             [&registry, byoc, &auth, started](const http::Request& req, http::Response& res) {
               auth.requireAdmin(req);
               MetricsInput in;
               in.processStartTime = started;
               for (const auto& s : registry.streams()) in.streams.push_back(s->stats());
               in.publishers = registry.publishers();
               in.viewers = registry.viewers();
               if (byoc) in.byocSessions = byoc->countByStatus();
               // This answer is counted when it is written, so the figure stops at the one before.
               for (int c = 1; c <= 5; ++c) in.httpResponses[c - 1] = http::responseCounts().get(c);
               res.setContent(metricsText(in), http::kPrometheusContentType);
             });
}

}  // namespace cs
