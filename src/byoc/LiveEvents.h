#pragma once
// What the live worker writes to a stream's events channel, in pytrickle's envelope:
//   {"event": {"type": …, …}, "queue_event_type": "ai_stream_events" | "stream_heartbeat"}
// The gateway swaps orchestrators when no event arrives for 30 s, so a heartbeat goes out every
// 10 s whatever the media does (docs/LIVEPEER.md, "Events").
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace cs::live_events {

inline constexpr std::string_view kLifecycleQueue = "ai_stream_events";
inline constexpr std::string_view kHeartbeatQueue = "stream_heartbeat";

// The lifecycle events pytrickle sends, and ours.
inline constexpr std::string_view kFirstIngestSegment = "receive_first_ingest_segment";
inline constexpr std::string_view kFirstProcessedSegment = "send_first_processed_segment";
inline constexpr std::string_view kParamsUpdated = "params_updated";
inline constexpr std::string_view kStreamStopped = "stream_stopped";
inline constexpr std::string_view kError = "error";
inline constexpr std::string_view kHeartbeat = "stream_heartbeat";

// One event as one channel message (a segment): `fields` plus "type", "stream_id" and
// "timestamp" (Unix milliseconds).
std::string envelope(std::string_view type, const std::string& streamId, nlohmann::json fields,
                     std::string_view queue = kLifecycleQueue);

}  // namespace cs::live_events
