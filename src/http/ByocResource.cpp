#include "http/ByocResource.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <optional>

#include "byoc/JobRequest.h"
#include "byoc/LivepeerHeader.h"
#include "http/ClipResource.h"
#include "http/ErrorResponse.h"
#include "http/FileResponse.h"
#include "util/LogEscape.h"

namespace cs {
namespace {

using http::Request;
using http::Response;

constexpr const char* kId = "([0-9A-Za-z_-]{1,64})";

const char* kSuccess = "Session cleaned up";
// What a job body other than a clip may be (the server's usual body cap).
constexpr uint64_t kSmallJobBytes = 128 * 1024;
constexpr const char* kTooLarge =
    "request body larger than 128 KiB (only a comfystream-video job with media_data may be)";

std::string offeredCapabilities() {
  std::string out;
  for (Capability c : kAllCapabilities)
    out += (out.empty() ? "" : ", ") + std::string(capabilityName(c));
  return out;
}

void requireToken(const ByocService& byoc, const Request& req) {
  if (!bearerMatches(req.header("Authorization"), byoc.settings().workerToken))
    throw req.hasHeader("Authorization")
        ? ControlError(ErrorKind::InvalidToken,
                       "the Authorization bearer token does not match --worker-token")
        : ControlError(ErrorKind::Unauthorized, "Authorization: Bearer <worker token> required");
}

// BYOC answers every error as text: ControlError by its kind, a rejected workflow as
// "invalid workflow: …" (with node_errors).
template <typename Fn>
void answerByocErrors(Response& res, Fn&& fn) {
  answerErrors(res, std::forward<Fn>(fn), WorkflowErrorShape::Message);
}

// A job body: in memory, or (the job routes take clips: media_data) streamed to a file. Only a
// comfystream-video job may be larger than the server's usual body cap.
std::string jobBody(const Request& req, const std::string& capability) {
  if (!req.bodyFile) return req.body;
  if (req.bodyFile->size > kSmallJobBytes && capability != capabilityName(Capability::Video))
    throw ControlError(ErrorKind::PayloadTooLarge, kTooLarge);
  std::ifstream in(req.bodyFile->path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The clip job of a comfystream-video session with media_data; empty for other sessions.
std::string clipIdOf(const ByocSession& s) {
  return s.result.is_object() && s.result.contains("clip_id") && s.result["clip_id"].is_string()
             ? s.result["clip_id"].get<std::string>()
             : std::string();
}

void handleJob(ByocService& byoc, const std::string& pathCapability, const Request& req,
               Response& res) {
  std::string name = pathCapability;
  std::optional<LivepeerJob> job;
  answerByocErrors(res, [&] {
    requireToken(byoc, req);
    if (req.hasHeader("Livepeer")) job = parseLivepeerHeader(req.header("Livepeer"));
    if (name.empty() && job) name = job->capability;
    if (job && job->capability != name)
      throw ControlError(ErrorKind::BadRequest, "the Livepeer header names capability '" +
                                                    job->capability + "' but the path names '" +
                                                    name + "'");
    const auto cap = parseCapability(name);
    if (!cap)
      throw ControlError(
          ErrorKind::NotFound,
          "unknown capability '" + name + "' (this worker offers " + offeredCapabilities() + ")");
    const std::string text = jobBody(req, name);
    // A body streamed to a file is bounded by the route's cap already.
    const nlohmann::json body =
        parseJsonObject(text, req.bodyFile ? std::max(text.size(), kMaxJsonBytes) : kMaxJsonBytes);
    if (req.bodyFile && req.bodyFile->size > kSmallJobBytes &&
        !(body.contains("input") && body["input"].is_object() &&
          body["input"].contains("media_data") && body["input"]["media_data"].is_string()))
      throw ControlError(ErrorKind::PayloadTooLarge, kTooLarge);
    const nlohmann::json out = byoc.jobs().run(*cap, body);
    spdlog::info("BYOC: job {} answered: session {} ({}){}", logSafe(name),
                 out.value("session_id", ""), out.value("status", ""),
                 job ? " [Livepeer job " + logSafe(job->id) + "]" : "");
    res.status = 200;
    res.setContent(dumpJson(out), "application/json");
  });
  if (res.status >= 400)
    spdlog::info("BYOC: job {} rejected ({}): {}", logSafe(name), res.status, logSafe(res.body));
}

enum class Kind { Whip, Whep };

void handleEndpointPost(ByocService& byoc, Kind kind, const Request& req, Response& res) {
  const std::string sessionId = req.matches[1];
  answerByocErrors(res, [&] {
    if (mediaTypeOf(req.header("Content-Type")) != "application/sdp")
      throw ControlError(ErrorKind::UnsupportedMedia, "Content-Type required: application/sdp");
    const auto created = kind == Kind::Whip ? byoc.sessions().publish(sessionId, req.body)
                                            : byoc.sessions().view(sessionId, req.body);
    res.status = 201;
    res.setHeader("Location", std::string(kind == Kind::Whip ? "/byoc/whip/" : "/byoc/whep/") +
                                  sessionId + "/" + created.id);
    for (const auto& s : byoc.ice().current()) res.addHeader("Link", s.linkHeaderValue());
    res.setContent(created.answer, "application/sdp");
  });
  if (res.status >= 400)
    spdlog::info("BYOC: {} for session {} rejected ({}): {}", kind == Kind::Whip ? "WHIP" : "WHEP",
                 sessionId, res.status, logSafe(res.body));
}

void handleEndpointDelete(ByocService& byoc, Kind kind, const Request& req, Response& res) {
  answerByocErrors(res, [&] {
    if (kind == Kind::Whip)
      byoc.sessions().unpublish(req.matches[1], req.matches[2]);
    else
      byoc.sessions().unview(req.matches[1], req.matches[2]);
    res.status = 200;
  });
}

}  // namespace

bool bearerMatches(const std::string& authorization, const std::string& token) {
  if (token.empty()) return true;
  Request r;
  r.headers.emplace("Authorization", authorization);
  return http::tokenEquals(http::Authorizer::presentedToken(r), token);
}

void addByocRoutes(http::Router& router, ByocService& byoc, const http::Authorizer& auth) {
  // Job requests. A go-livepeer orchestrator POSTs {registered url}/{path after
  // /process/request/}: with the worker's base URL registered (the seed's registration), that is
  // /{capability}; with {base}/process/request registered, /process/request/{capability}.
  // With clips on, a job body may carry a whole clip (base64 media_data): streamed to a file,
  // up to the clip cap plus base64's third.
  const auto jobRoute = [&router, &byoc](const std::string& pattern) {
    http::Handler h = [&byoc](const Request& req, Response& res) {
      handleJob(byoc, req.matches[1], req, res);
    };
    if (byoc.clips())
      router.upload(pattern, std::move(h),
                    byoc.clips()->settings().maxBytes / 3 * 4 + 4 + kSmallJobBytes, {},
                    [&byoc](const Request& head) { requireToken(byoc, head); });
    else
      router.post(pattern, std::move(h));
  };
  jobRoute(R"(/process/request/([^/]*))");
  jobRoute("/(comfystream-video|whip-ingest|whep-subscribe)");
  const auto onlyPost = [](const Request&, Response& res) {
    res.setHeader("Allow", "POST, OPTIONS");
    writeError(res, 405, "job requests are POST only");
  };
  const std::string jobPath = "/process/request(?:/.*)?";
  router.get(jobPath, onlyPost);
  router.put(jobPath, onlyPost);
  router.del(jobPath, onlyPost);
  router.patch(jobPath, onlyPost);

  // Session management (direct access; a Livepeer gateway forwards POST jobs only).
  const std::string session = std::string("(?:/live)?/byoc/session/") + kId;
  router.get(session + "/status", [&byoc](const Request& req, Response& res) {
    answerByocErrors(res, [&] {
      const auto s = byoc.sessions().get(req.matches[1]);
      if (!s) return writeError(res, 404, "no BYOC session '" + std::string(req.matches[1]) + "'");
      nlohmann::json status = s->statusJson();
      // A clip session's progress while it runs: frames done of total, fps.
      if (const std::string clip = clipIdOf(*s); !clip.empty() && byoc.clips() && !s->ended())
        if (const auto info = byoc.clips()->get(clip))
          status["progress"] = clipJson(*info, "/byoc/session/" + s->id + "/result");
      res.setContent(dumpJson(status), "application/json");
    });
  });
  // A clip session's processed clip (MP4), once completed.
  router.get(session + "/result", [&byoc](const Request& req, Response& res) {
    answerByocErrors(res, [&] {
      const auto s = byoc.sessions().get(req.matches[1]);
      if (!s) return writeError(res, 404, "no BYOC session '" + std::string(req.matches[1]) + "'");
      const std::string clip = clipIdOf(*s);
      if (clip.empty() || !byoc.clips())
        return writeError(res, 404, "the session has no clip result");
      const auto info = byoc.clips()->get(clip);
      if (!info) return writeError(res, 404, "the session's clip result is gone (retention)");
      if (info->progress.state != ClipState::Completed)
        return writeError(res, 409, std::string("the clip is ") + toString(info->progress.state));
      answerWithFile(req, res, info->result.string(), {"video/mp4", false});
      res.setHeader("Content-Disposition", "attachment; filename=\"" + s->id + ".mp4\"");
    });
  });
  router.del(session, [&byoc](const Request& req, Response& res) {
    answerByocErrors(res, [&] {
      // A clip session's job is cancelled and its files removed with it.
      if (byoc.clips())
        if (const auto s = byoc.sessions().get(req.matches[1]))
          if (const std::string clip = clipIdOf(*s); !clip.empty()) byoc.clips()->remove(clip);
      if (!byoc.sessions().cleanup(req.matches[1]))
        return writeError(res, 404, "no BYOC session '" + std::string(req.matches[1]) + "'");
      res.setContent(dumpJson({{"success", true}, {"message", kSuccess}}), "application/json");
    });
  });
  router.get("(?:/live)?/byoc-stats", [&byoc, &auth](const Request& req, Response& res) {
    answerByocErrors(res, [&] {
      // The list names every session id (each one a key to its session's endpoints): with a
      // worker token it is for the token holder (or the admin) only.
      if (!auth.isAdmin(req)) requireToken(byoc, req);
      res.setContent(dumpJson(byoc.sessions().statsJson()), "application/json");
    });
  });

  // A comfystream-video session's own WHIP and WHEP endpoints.
  for (Kind kind : {Kind::Whip, Kind::Whep}) {
    const std::string base =
        std::string("(?:/live)?/byoc/") + (kind == Kind::Whip ? "whip/" : "whep/") + kId;
    const std::string resource = base + "/" + kId;
    router.post(
        base,
        [&byoc, kind](const Request& req, Response& res) {
          handleEndpointPost(byoc, kind, req, res);
        },
        "application/sdp");
    router.del(resource, [&byoc, kind](const Request& req, Response& res) {
      handleEndpointDelete(byoc, kind, req, res);
    });
    // As /whip and /whep: GET is 2xx without content, HEAD on a WHEP endpoint names the type.
    router.get(base, [kind](const Request& req, Response& res) {
      if (kind == Kind::Whep && req.method == "HEAD") {
        res.status = 200;
        res.setHeader("Content-Type", "application/sdp");
        return;
      }
      res.status = 204;
    });
    router.get(resource, [](const Request&, Response& res) { res.status = 204; });
    router.patch(resource, [](const Request&, Response& res) {
      res.setHeader("Allow", "GET, DELETE, OPTIONS");
      writeError(res, 405, "trickle ICE and ICE restart are not supported");
    });
  }
}

}  // namespace cs
