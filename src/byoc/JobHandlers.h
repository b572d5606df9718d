#pragma once
// The three capability processors behind POST /process/request/{capability}: each validates its
// request, creates a session (with its stream, publisher or viewer) and returns the seed's
// response JSON {"session_id", "status", "result"}.
#include <nlohmann/json.hpp>

#include "byoc/ByocSettings.h"
#include "byoc/Capability.h"
#include "byoc/JobRequest.h"
#include "byoc/MediaHost.h"
#include "byoc/SessionManager.h"
#include "clip/ClipJobs.h"
#include "rtc/IceServerProvider.h"

namespace cs {

// [{"urls": ["stun:…"]}, {"urls": ["turn:…"], "username": …, "credential": …}]
nlohmann::json iceServersJson(const std::vector<IceServer>& servers);

// The stream a new session publishes to: "byoc-" + its public id (util/RandomId.h), so listings
// of streams never reveal the session id, which is the key to the session's endpoints.
std::string streamIdFor(const std::string& sessionId);

class JobHandlers {
 public:
  JobHandlers(SessionManager& sessions, MediaHost& media, IceServerProvider& ice,
              ByocSettings settings, ClipJobs* clips = nullptr);

  // Throws ControlError (bad request, capacity, negotiation) or WorkflowError (bad workflow).
  nlohmann::json run(Capability cap, const nlohmann::json& body);

 private:
  nlohmann::json video(const nlohmann::json& body);
  // comfystream-video with media_data: a clip job, answered at once ("processing").
  nlohmann::json videoClip(const VideoJobRequest& req);
  nlohmann::json whipIngest(const nlohmann::json& body);
  nlohmann::json whepSubscribe(const nlohmann::json& body);
  std::string endpoint(const char* kind, const std::string& sessionId) const;

  SessionManager& sessions_;
  MediaHost& media_;
  IceServerProvider& ice_;
  const ByocSettings settings_;
  ClipJobs* clips_;
};

}  // namespace cs
