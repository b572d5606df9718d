#include "byoc/JobHandlers.h"

#include <spdlog/spdlog.h>

#include "byoc/JobRequest.h"
#include "util/ControlError.h"
#include "util/RandomId.h"

namespace cs {
namespace {

double unixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

nlohmann::json iceServersJson(const std::vector<IceServer>& servers) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : servers) {
    nlohmann::json j = {{"urls", nlohmann::json::array({s.url})}};
    if (!s.username.empty()) j["username"] = s.username;
    if (!s.credential.empty()) j["credential"] = s.credential;
    out.push_back(std::move(j));
  }
  return out;
}

JobHandlers::JobHandlers(SessionManager& sessions, MediaHost& media, IceServerProvider& ice,
                         ByocSettings settings)
    : sessions_(sessions), media_(media), ice_(ice), settings_(std::move(settings)) {}

std::string streamIdFor(const std::string& sessionId) {
  return "byoc-" + publicIdOf(sessionId);
}

nlohmann::json JobHandlers::run(Capability cap, const nlohmann::json& body) {
  switch (cap) {
    case Capability::Video:
      return video(body);
    case Capability::WhipIngest:
      return whipIngest(body);
    case Capability::WhepSubscribe:
      return whepSubscribe(body);
  }
  throw ControlError(ErrorKind::NotFound, "unknown capability");
}

std::string JobHandlers::endpoint(const char* kind, const std::string& sessionId) const {
  std::string base = settings_.publicUrl;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/byoc/" + kind + "/" + sessionId;
}

nlohmann::json JobHandlers::video(const nlohmann::json& body) {
  const VideoJobRequest req = parseVideoJob(body);
  auto slot = sessions_.reserve(Capability::Video);
  // Compile the workflow now, so a broken one is refused by the job rather than by the first
  // WHIP offer; the session's first publisher runs this compiled workflow.
  // (Off the HTTP thread, with the warm-up deadline: models load here.)
  auto compiled = media_.compileWorkflow(req.prompts, req.width, req.height);

  ByocSession s;
  s.id = newRandomId();
  s.capability = Capability::Video;
  s.status = SessionStatus::Ready;
  s.createdAt = s.updatedAt = unixNow();
  s.streamId = streamIdFor(s.id);
  s.width = req.width;
  s.height = req.height;
  s.prompts = req.prompts;
  s.textPrompts = toJson(req.texts);
  s.result = {{"pipeline_ready", true},
              {"session_id", s.id},
              {"capabilities", {"video_processing", "image_generation"}},
              {"whip_endpoint", endpoint("whip", s.id)},
              {"whep_endpoint", endpoint("whep", s.id)}};
  const nlohmann::json response = s.jobResponse();
  sessions_.add(slot, std::move(s), {}, {}, std::move(compiled));
  return response;
}

nlohmann::json JobHandlers::whipIngest(const nlohmann::json& body) {
  const WhipJobRequest req = parseWhipJob(body);
  auto slot = sessions_.reserve(Capability::WhipIngest);
  ByocSession s;
  s.id = newRandomId();
  s.capability = Capability::WhipIngest;
  s.streamId = streamIdFor(s.id);
  s.width = req.width;
  s.height = req.height;
  s.prompts = req.prompts;
  s.textPrompts = toJson(req.texts);
  const auto created =
      media_.publish(s.streamId, s.prompts, req.sdpOffer, req.width, req.height, nullptr);
  s.status = SessionStatus::Connected;
  s.createdAt = s.updatedAt = unixNow();
  s.result = {{"sdp_answer", created.answer},
              {"session_id", s.id},
              {"ice_servers", iceServersJson(ice_.current())}};
  const nlohmann::json response = s.jobResponse();
  try {
    sessions_.add(slot, std::move(s), created.id);
  } catch (...) {
    try {
      media_.endPublisher(created.id);
    } catch (const std::exception& e) {  // the session error is the one to answer
      spdlog::error("BYOC: cannot end publisher {}: {}", created.id, e.what());
    }
    throw;
  }
  return response;
}

nlohmann::json JobHandlers::whepSubscribe(const nlohmann::json& body) {
  const WhepJobRequest req = parseWhepJob(body);
  const std::string streamId = !req.sessionId.empty()  ? sessions_.viewableStream(req.sessionId)
                               : !req.streamId.empty() ? req.streamId
                                                       : std::string("default");
  auto slot = sessions_.reserve(Capability::WhepSubscribe);
  ByocSession s;
  s.id = newRandomId();
  s.capability = Capability::WhepSubscribe;
  s.streamId = streamId;
  s.prompts = nullptr;
  const auto created = media_.view(streamId, req.sdpOffer);
  s.status = SessionStatus::Connected;
  s.createdAt = s.updatedAt = unixNow();
  s.result = {{"sdp_answer", created.answer},
              {"session_id", s.id},
              {"ice_servers", iceServersJson(ice_.current())}};
  const nlohmann::json response = s.jobResponse();
  try {
    sessions_.add(slot, std::move(s), {}, created.id);
  } catch (...) {
    try {
      media_.endViewer(created.id);
    } catch (const std::exception& e) {
      spdlog::error("BYOC: cannot end viewer {}: {}", created.id, e.what());
    }
    throw;
  }
  return response;
}

}  // namespace cs
