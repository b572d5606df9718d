#pragma once
// One BYOC session: the record a job creates, its status machine and its JSON views. What is
// persisted (SessionStore) is exactly this record; live media handles are SessionManager's.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "byoc/Capability.h"

namespace cs {

// ready: comfystream-video session waiting for (or between) publishers; processing: its
// publisher is live; connected: a whip-ingest / whep-subscribe peer was answered; completed and
// failed are terminal (the session's media is gone).
enum class SessionStatus { Ready, Processing, Connected, Completed, Failed };

std::string_view toString(SessionStatus s);
std::optional<SessionStatus> parseSessionStatus(std::string_view name);
bool isTerminal(SessionStatus s);
// Allowed moves: ready <-> processing, and any live status -> completed or failed. Terminal
// statuses never change.
bool canTransition(SessionStatus from, SessionStatus to);

struct ByocSession {
  std::string id;  // 128-bit CSPRNG id, 32 hex characters
  Capability capability = Capability::Video;
  SessionStatus status = SessionStatus::Ready;
  double createdAt = 0;  // seconds since the Unix epoch
  double updatedAt = 0;
  std::optional<double> endedAt;  // set with a terminal status
  std::string endedReason;        // why the session's media ended
  std::string error;              // for failed sessions
  std::string streamId;           // own stream (video, whip-ingest) or the viewed one (whep)
  int width = 512;
  int height = 512;
  nlohmann::json prompts;  // the workflow(s) the session's stream runs (null for whep-subscribe)
  // The request's text prompts, [{text, weight}] (the seed's form): the session's prompt text.
  nlohmann::json textPrompts = nlohmann::json::array();
  nlohmann::json result = nlohmann::json::object();  // the capability-specific job result

  bool ended() const { return isTerminal(status); }
  // Moves to `to` (checked by canTransition; throws std::logic_error otherwise).
  void transition(SessionStatus to, double now);
  // Terminal move with the reason; failed sessions carry it as their error too.
  void end(SessionStatus to, const std::string& reason, double now);

  // GET /byoc/session/{id}/status
  nlohmann::json statusJson() const;
  // One entry of GET /byoc-stats.
  nlohmann::json statsJson() const;
  // The job response: {"session_id", "status", "result"}.
  nlohmann::json jobResponse() const;
};

}  // namespace cs
