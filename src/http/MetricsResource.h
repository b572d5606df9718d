#pragma once
// GET /metrics: the server's figures in the Prometheus text format 0.0.4, built from the same
// typed stats as /streams/stats, /whip-stats and /whep-stats (docs/API.md lists every metric).
// The original's gauge keeps its name (stream_fps{stream_id}), so its dashboards carry over;
// the rest are comfystream_*. Like the other stats routes it needs the admin token when one is
// configured. Per-stream series are bounded by --max-streams; a stream's series go with it.
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "byoc/ByocSession.h"
#include "byoc/Capability.h"
#include "byoc/SessionManager.h"
#include "http/Authorizer.h"
#include "http/Router.h"
#include "stream/SessionStats.h"
#include "stream/Stream.h"
#include "stream/StreamRegistry.h"

namespace cs {

// Everything one scrape reports, gathered first so the text is made from plain values.
struct MetricsInput {
  double processStartTime = 0;  // seconds since the Unix epoch
  std::vector<StreamStats> streams;
  std::vector<PublisherStats> publishers;
  std::vector<ViewerStats> viewers;
  // nullopt: no BYOC worker in this process.
  std::optional<std::map<std::pair<Capability, SessionStatus>, unsigned>> byocSessions;
  std::array<uint64_t, 5> httpResponses{};  // answers written, by status class 1xx … 5xx
};

// The exposition text (Content-Type http::kPrometheusContentType).
std::string metricsText(const MetricsInput& in);

// When this process started, in seconds since the Unix epoch: /proc/self/stat's start time
// after boot plus /proc/stat's boot time (what Prometheus client libraries report); now when
// /proc cannot tell.
double processStartTime();

// `byoc` may be null.
void addMetricsRoute(http::Router& router, const StreamRegistry& registry,
                     const SessionManager* byoc, const http::Authorizer& auth);

}  // namespace cs
