#include "http/ClipResource.h"

#include <fstream>
#include <iterator>

#include "byoc/LivepeerHeader.h"
#include "http/ClipUpload.h"
#include "http/ErrorResponse.h"
#include "http/FileResponse.h"
#include "util/ControlError.h"
#include "util/JsonLimits.h"

namespace cs {
namespace {

using http::Request;
using http::Response;

constexpr const char* kId = "/clips/([0-9a-f]{32})";

void requireAccess(const http::Authorizer& auth, const Request& req) {
  if (auth.streamsProtected())
    auth.require(req, http::Role::Publish, "*");
  else
    auth.requireAdmin(req);
}

std::string mediaType(const Request& req) {
  std::string t = req.header("Content-Type");
  t = t.substr(0, t.find(';'));
  while (!t.empty() && t.back() == ' ') t.pop_back();
  for (auto& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return t;
}

// A JSON upload: read whole (it is bounded by the upload cap), media_data decoded to a file of
// its own. Returns the workflow the body names, if any.
WorkflowSource fromJsonUpload(const Request& req, const std::filesystem::path& to,
                              WorkflowService& workflows, std::string& name) {
  std::string text = req.body;
  if (req.bodyFile) {
    std::ifstream in(req.bodyFile->path, std::ios::binary);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const http::ClipUpload upload = http::parseClipUpload(text);
  text = {};  // the base64 copy goes before the file is written
  {
    std::ofstream out(to, std::ios::binary | std::ios::trunc);
    out.write(upload.media.data(), static_cast<std::streamsize>(upload.media.size()));
    if (!out) throw ControlError(ErrorKind::Internal, "cannot store the clip");
  }
  if (!upload.workflow.empty()) name = upload.workflow;
  if (!upload.prompts.is_null()) return WorkflowSource::of(name, upload.prompts);
  if (name.empty()) throw ControlError(ErrorKind::BadRequest, "no workflow: ?workflow=NAME");
  return workflows.named(name);
}

void handlePost(const Request& req, Response& res, ClipJobs& clips, WorkflowService& workflows,
                const http::Authorizer& auth) {
  requireAccess(auth, req);
  clips.checkCapacity();
  if (req.bodyFile ? req.bodyFile->size == 0 : req.body.empty())
    throw ControlError(ErrorKind::BadRequest, "no clip: send the video file as the body");
  const std::string type = mediaType(req);
  std::string name = req.param("workflow");
  // A small body arrives in memory (HttpServer): it goes to a file like a streamed one.
  std::optional<http::BodyFile> small;
  if (!req.bodyFile) {
    small.emplace(clips.uploadPath());
    std::ofstream out(small->path, std::ios::binary | std::ios::trunc);
    out.write(req.body.data(), static_cast<std::streamsize>(req.body.size()));
    if (!out) throw ControlError(ErrorKind::Internal, "cannot store the clip");
  }
  std::filesystem::path upload = req.bodyFile ? req.bodyFile->path : small->path;
  std::optional<http::BodyFile> decoded;  // the JSON upload's media, removed unless submitted
  WorkflowSource source;
  if (type == "application/json") {
    decoded.emplace(clips.uploadPath());
    source = fromJsonUpload(req, decoded->path, workflows, name);
    upload = decoded->path;
  } else if (type.rfind("video/", 0) == 0 || type == "application/octet-stream" || type.empty()) {
    if (name.empty()) throw ControlError(ErrorKind::BadRequest, "no workflow: ?workflow=NAME");
    source = workflows.named(name);
  } else {
    throw ControlError(ErrorKind::UnsupportedMedia,
                       "a clip is video/*, application/octet-stream or application/json");
  }
  // Refused now, with ComfyUI's node errors, rather than as a failed job later: a small compile.
  workflows.compile(source, 64, 64);
  const ClipInfo info = clips.submit(upload, name, clipWorkflow(workflows, source));
  const std::string location = "/clips/" + info.id;
  res.status = 202;
  res.setHeader("Location", location);
  res.setContent(dumpJson(clipJson(info, location + "/result")), "application/json");
}

}  // namespace

nlohmann::json clipJson(const ClipInfo& info, const std::string& resultUrl) {
  const ClipProgress& p = info.progress;
  const bool done = p.state == ClipState::Completed;
  return {
      {"id", info.id},
      {"status", toString(p.state)},
      {"workflow", info.workflow},
      {"frames_done", p.framesDone},
      {"frames_total", p.framesTotal},
      {"frames_failed", p.framesFailed},
      {"fps", p.fps},
      {"width", p.width},
      {"height", p.height},
      {"has_audio", p.hasAudio},
      {"duration", p.durationS},
      {"created_at", info.createdAt},
      {"finished_at", info.finishedAt > 0 ? nlohmann::json(info.finishedAt) : nlohmann::json()},
      {"error", p.error.empty() ? nlohmann::json() : nlohmann::json(p.error)},
      {"result", done ? nlohmann::json(resultUrl) : nlohmann::json()},
  };
}

ClipJob::MakeWorkflow clipWorkflow(WorkflowService& workflows, WorkflowSource source) {
  return [&workflows, source = std::move(source)](int w, int h) -> std::shared_ptr<FrameWorkflow> {
    return workflows.compile(source, w, h);
  };
}

void addClipRoutes(http::Router& router, ClipJobs& clips, WorkflowService& workflows,
                   const http::Authorizer& auth) {
  router.upload(
      "/clips",
      [&](const Request& req, Response& res) { handlePost(req, res, clips, workflows, auth); },
      clips.settings().maxBytes, "video/*, application/octet-stream, application/json",
      [&auth](const Request& head) { requireAccess(auth, head); });
  router.get(kId, [&](const Request& req, Response& res) {
    requireAccess(auth, req);
    const auto info = clips.get(req.matches[1]);
    if (!info) throw ControlError(ErrorKind::NotFound, "no such clip");
    res.setContent(dumpJson(clipJson(*info, "/clips/" + info->id + "/result")), "application/json");
  });
  router.get(std::string(kId) + "/result", [&](const Request& req, Response& res) {
    requireAccess(auth, req);
    const auto info = clips.get(req.matches[1]);
    if (!info) throw ControlError(ErrorKind::NotFound, "no such clip");
    if (info->progress.state != ClipState::Completed)
      throw ControlError(ErrorKind::Conflict,
                         std::string("the clip is ") + toString(info->progress.state) +
                             (info->progress.error.empty() ? "" : ": " + info->progress.error));
    answerWithFile(req, res, info->result.string(), {"video/mp4", false});
    res.setHeader("Content-Disposition", "attachment; filename=\"" + info->id + ".mp4\"");
  });
  router.del(kId, [&](const Request& req, Response& res) {
    requireAccess(auth, req);
    const auto info = clips.get(req.matches[1]);
    if (!info || !clips.remove(info->id)) throw ControlError(ErrorKind::NotFound, "no such clip");
    const bool wasRunning = !isFinal(info->progress.state);
    res.setContent(dumpJson({{"id", info->id},
                             {"status", wasRunning ? "cancelled" : toString(info->progress.state)},
                             {"removed", true}}),
                   "application/json");
  });
}

}  // namespace cs
