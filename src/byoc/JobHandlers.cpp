#include "byoc/JobHandlers.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>

#include "byoc/JobRequest.h"
#include "byoc/LivepeerHeader.h"
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
                         ByocSettings settings, ClipJobs* clips)
    : sessions_(sessions),
      media_(media),
      ice_(ice),
      settings_(std::move(settings)),
      clips_(clips) {}

std::string streamIdFor(const std::string& sessionId) {
  return "byoc-" + publicIdOf(sessionId);
}

namespace {

// What every session a job creates starts with: a fresh id, its stream, the request's size and
// workflow.
template <typename JobRequest>
ByocSession newSession(Capability cap, SessionStatus status, const JobRequest& req) {
  ByocSession s;
  s.id = newRandomId();
  s.capability = cap;
  s.status = status;
  s.createdAt = s.updatedAt = unixNow();
  s.streamId = streamIdFor(s.id);
  s.width = req.width;
  s.height = req.height;
  s.prompts = req.prompts;
  s.textPrompts = toJson(req.texts);
  return s;
}

}  // namespace

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
  if (!req.mediaData.empty()) return videoClip(req);
  auto slot = sessions_.reserve(Capability::Video);
  // Compile the workflow now, so a broken one is refused by the job rather than by the first
  // WHIP offer; the session's first publisher runs this compiled workflow.
  // (Off the HTTP thread, with the warm-up deadline: models load here.)
  auto compiled = media_.compileWorkflow(req.prompts, req.width, req.height);

  ByocSession s = newSession(Capability::Video, SessionStatus::Ready, req);
  s.result = {{"pipeline_ready", true},
              {"session_id", s.id},
              {"capabilities", {"video_processing", "image_generation"}},
              {"whip_endpoint", endpoint("whip", s.id)},
              {"whep_endpoint", endpoint("whep", s.id)}};
  const nlohmann::json response = s.jobResponse();
  sessions_.add(slot, std::move(s), {}, {}, std::move(compiled));
  return response;
}

nlohmann::json JobHandlers::videoClip(const VideoJobRequest& req) {
  if (!clips_) throw ControlError(ErrorKind::Unprocessable, "this worker does not process clips");
  clips_->checkCapacity();
  auto slot = sessions_.reserve(Capability::Video);
  // Refused now, with ComfyUI's node errors, rather than as a failed session later.
  media_.compileWorkflow(req.prompts, 64, 64);
  const auto media = decodeBase64Std(req.mediaData);
  if (!media || media->empty())
    throw ControlError(ErrorKind::BadRequest, "'input.media_data' is not base64 (RFC 4648)");
  const std::filesystem::path upload = clips_->uploadPath();
  {
    std::ofstream out(upload, std::ios::binary | std::ios::trunc);
    out.write(media->data(), static_cast<std::streamsize>(media->size()));
    if (!out) {
      std::error_code ec;
      std::filesystem::remove(upload, ec);
      throw ControlError(ErrorKind::Internal, "cannot store the clip");
    }
  }

  ByocSession s = newSession(Capability::Video, SessionStatus::Processing, req);
  s.result = {{"session_id", s.id}, {"clip", true}, {"capabilities", {"video_processing"}}};
  const std::string sessionId = s.id;
  nlohmann::json response = s.jobResponse();
  try {
    // First, so the clip's end (which may come at once for a file that does not decode) always
    // finds its session.
    sessions_.add(slot, std::move(s));
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(upload, ec);
    throw;
  }
  SessionManager* sessions = &sessions_;
  MediaHost* host = &media_;
  ClipInfo info;
  try {
    // Compiled at the clip's own size on the clip worker; the session ends when the clip does.
    info = clips_->submit(
        upload, "byoc",
        [host, prompts = req.prompts](int w, int h) -> std::shared_ptr<FrameWorkflow> {
          return host->compileWorkflow(prompts, w, h);
        },
        [sessions, sessionId](const ClipInfo& done) {
          const ClipProgress& p = done.progress;
          nlohmann::json result = {{"frames", p.framesDone},
                                   {"duration", p.durationS},
                                   {"fps", p.fps},
                                   {"has_audio", p.hasAudio}};
          if (p.state == ClipState::Completed) {
            result["result_url"] = "/byoc/session/" + sessionId + "/result";
            result["content_type"] = "video/mp4";
            sessions->endClip(sessionId, SessionStatus::Completed, "clip processed", result);
          } else {
            sessions->endClip(sessionId, SessionStatus::Failed,
                              p.state == ClipState::Cancelled ? std::string("clip cancelled")
                                                              : "clip failed: " + p.error,
                              result);
          }
        });
  } catch (...) {
    sessions_.cleanup(sessionId);
    throw;
  }
  sessions_.endClip(sessionId, std::nullopt, {}, {{"clip_id", info.id}});
  response["result"]["clip_id"] = info.id;
  return response;
}

nlohmann::json JobHandlers::whipIngest(const nlohmann::json& body) {
  const WhipJobRequest req = parseWhipJob(body);
  auto slot = sessions_.reserve(Capability::WhipIngest);
  ByocSession s = newSession(Capability::WhipIngest, SessionStatus::Connected, req);
  const auto created =
      media_.publish(s.streamId, s.prompts, req.sdpOffer, req.width, req.height, nullptr);
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
