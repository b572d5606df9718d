#include "byoc/ByocSession.h"

#include "workflow/TextPrompt.h"

#include <stdexcept>

namespace cs {

std::string_view toString(SessionStatus s) {
  switch (s) {
    case SessionStatus::Ready:
      return "ready";
    case SessionStatus::Processing:
      return "processing";
    case SessionStatus::Connected:
      return "connected";
    case SessionStatus::Completed:
      return "completed";
    case SessionStatus::Failed:
      return "failed";
  }
  return "failed";
}

std::optional<SessionStatus> parseSessionStatus(std::string_view name) {
  for (auto s : {SessionStatus::Ready, SessionStatus::Processing, SessionStatus::Connected,
                 SessionStatus::Completed, SessionStatus::Failed})
    if (toString(s) == name) return s;
  return std::nullopt;
}

bool isTerminal(SessionStatus s) {
  return s == SessionStatus::Completed || s == SessionStatus::Failed;
}

bool canTransition(SessionStatus from, SessionStatus to) {
  if (isTerminal(from)) return false;
  if (isTerminal(to)) return true;
  if (from == to) return true;
  return (from == SessionStatus::Ready && to == SessionStatus::Processing) ||
         (from == SessionStatus::Processing && to == SessionStatus::Ready);
}

void ByocSession::transition(SessionStatus to, double now) {
  if (!canTransition(status, to))
    throw std::logic_error("session " + id + ": " + std::string(toString(status)) + " -> " +
                           std::string(toString(to)) + " is not allowed");
  status = to;
  updatedAt = now;
}

void ByocSession::end(SessionStatus to, const std::string& reason, double now) {
  if (!isTerminal(to)) throw std::logic_error("end() needs completed or failed");
  transition(to, now);
  endedAt = now;
  endedReason = reason;
  if (to == SessionStatus::Failed && error.empty()) error = reason;
}

nlohmann::json ByocSession::statusJson() const {
  nlohmann::json j = {{"session_id", id},
                      {"capability", std::string(capabilityName(capability))},
                      {"status", std::string(toString(status))},
                      {"created_at", createdAt},
                      {"result", result}};
  if (!error.empty()) j["error"] = error;
  if (textPrompts.is_array() && !textPrompts.empty()) {
    j["text_prompts"] = textPrompts;
    std::vector<TextPrompt> texts;
    for (const auto& t : textPrompts)
      texts.push_back({t.value("text", ""), t.value("weight", 1.0)});
    j["prompt_text"] = combinedText(texts);
  }
  if (endedAt) {
    j["ended_at"] = *endedAt;
    j["ended_reason"] = endedReason;
  }
  return j;
}

nlohmann::json ByocSession::statsJson() const {
  return {{"created_at", createdAt},
          {"capability", std::string(capabilityName(capability))},
          {"status", std::string(toString(status))},
          {"has_result", result.is_object() && !result.empty()},
          {"has_error", !error.empty()}};
}

nlohmann::json ByocSession::jobResponse() const {
  return {{"session_id", id}, {"status", std::string(toString(status))}, {"result", result}};
}

}  // namespace cs
