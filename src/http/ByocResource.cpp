#include "http/ByocResource.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

#include "byoc/JobRequest.h"
#include "byoc/LivepeerHeader.h"
#include "http/ErrorResponse.h"
#include "http/WhipWhepResource.h"
#include "util/LogEscape.h"

namespace cs {
namespace {

constexpr const char* kId = "([0-9A-Za-z_-]{1,64})";

const char* kSuccess = "Session cleaned up";

std::string offeredCapabilities() {
  std::string out;
  for (Capability c : kAllCapabilities)
    out += (out.empty() ? "" : ", ") + std::string(capabilityName(c));
  return out;
}

void requireToken(const ByocService& byoc, const http::Request& req) {
  if (!bearerMatches(req.header("Authorization"), byoc.settings().workerToken))
    throw req.hasHeader("Authorization")
        ? ControlError(ErrorKind::InvalidToken,
                       "the Authorization bearer token does not match --worker-token")
        : ControlError(ErrorKind::Unauthorized, "Authorization: Bearer <worker token> required");
}

void handleJob(ByocService& byoc, const std::string& pathCapability, const http::Request& req,
               http::Response& res) {
  std::string name = pathCapability;
  try {
    requireToken(byoc, req);
    std::optional<LivepeerJob> job;
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
    const nlohmann::json body = parseJsonObject(req.body);
    const nlohmann::json out = byoc.jobs().run(*cap, body);
    spdlog::info("BYOC: job {} answered: session {} ({}){}", logSafe(name), out.value("session_id", ""),
                 out.value("status", ""), job ? " [Livepeer job " + job->id + "]" : "");
    res.status = 200;
    res.setContent(out.dump(), "application/json");
  } catch (const ControlError& e) {
    spdlog::info("BYOC: job {} rejected: {} ({})", logSafe(name), logSafe(e.what()), statusFor(e.kind()));
    writeError(res, e.kind(), e.what());
  } catch (const WorkflowError& e) {
    spdlog::info("BYOC: job {} rejected: invalid workflow: {}", logSafe(name),
                 logSafe(e.what()));
    writeByocWorkflowError(res, e);
  }
}

enum class Kind { Whip, Whep };

void handleEndpointPost(ByocService& byoc, Kind kind, const http::Request& req,
                        http::Response& res) {
  const std::string sessionId = req.matches[1];
  try {
    if (mediaTypeOf(req.header("Content-Type")) != "application/sdp")
      throw ControlError(ErrorKind::UnsupportedMedia, "Content-Type required: application/sdp");
    const auto created = kind == Kind::Whip ? byoc.sessions().publish(sessionId, req.body)
                                            : byoc.sessions().view(sessionId, req.body);
    res.status = 201;
    res.setHeader("Location", std::string(kind == Kind::Whip ? "/byoc/whip/" : "/byoc/whep/") +
                                   sessionId + "/" + created.id);
    for (const auto& s : byoc.ice().current()) res.addHeader("Link", s.linkHeaderValue());
    res.setContent(created.answer, "application/sdp");
  } catch (const ControlError& e) {
    spdlog::info("BYOC: {} for session {} rejected: {} ({})", kind == Kind::Whip ? "WHIP" : "WHEP",
                 sessionId, e.what(), statusFor(e.kind()));
    writeError(res, e.kind(), e.what());
  } catch (const WorkflowError& e) {
    writeByocWorkflowError(res, e);
  }
}

void handleEndpointDelete(ByocService& byoc, Kind kind, const http::Request& req,
                          http::Response& res) {
  try {
    if (kind == Kind::Whip)
      byoc.sessions().unpublish(req.matches[1], req.matches[2]);
    else
      byoc.sessions().unview(req.matches[1], req.matches[2]);
    res.status = 200;
  } catch (const ControlError& e) {
    writeError(res, e.kind(), e.what());
  }
}

}  // namespace

bool bearerMatches(const std::string& authorization, const std::string& token) {
  if (token.empty()) return true;
  http::Request r;
  r.headers.emplace("Authorization", authorization);
  return http::tokenEquals(http::Authorizer::presentedToken(r), token);
}

void writeByocWorkflowError(http::Response& res, const WorkflowError& e) {
  res.status = 400;
  nlohmann::json body = {{"error", std::string("invalid workflow: ") + e.what()},
                         {"status_code", 400}};
  const auto comfy = e.toJson();
  if (comfy.contains("node_errors") && !comfy["node_errors"].empty())
    body["node_errors"] = comfy["node_errors"];
  res.setContent(body.dump(), "application/json");
}

void addByocRoutes(http::Router& server, ByocService& byoc, const http::Authorizer& auth) {
  // Job requests. A go-livepeer orchestrator POSTs {registered url}/{path after
  // /process/request/}: with the worker's base URL registered (the seed's registration), that is
  // /{capability}; with {base}/process/request registered, /process/request/{capability}.
  server.post(R"(/process/request/([^/]*))",
              [&byoc](const http::Request& req, http::Response& res) {
                handleJob(byoc, req.matches[1], req, res);
              });
  server.post("/(comfystream-video|whip-ingest|whep-subscribe)",
              [&byoc](const http::Request& req, http::Response& res) {
                handleJob(byoc, req.matches[1], req, res);
              });
  const auto onlyPost = [](const http::Request&, http::Response& res) {
    res.setHeader("Allow", "POST, OPTIONS");
    writeError(res, 405, "job requests are POST only");
  };
  const std::string jobPath = "/process/request(?:/.*)?";
  server.get(jobPath, onlyPost);
  server.put(jobPath, onlyPost);
  server.del(jobPath, onlyPost);
  server.patch(jobPath, onlyPost);

  // Session management (direct access; a Livepeer gateway forwards POST jobs only).
  const std::string session = std::string("(?:/live)?/byoc/session/") + kId;
  server.get(session + "/status", [&byoc](const http::Request& req, http::Response& res) {
    const auto s = byoc.sessions().get(req.matches[1]);
    if (!s) return writeError(res, 404, "no BYOC session '" + std::string(req.matches[1]) + "'");
    res.setContent(s->statusJson().dump(), "application/json");
  });
  server.del(session, [&byoc](const http::Request& req, http::Response& res) {
    if (!byoc.sessions().cleanup(req.matches[1]))
      return writeError(res, 404, "no BYOC session '" + std::string(req.matches[1]) + "'");
    res.setContent(nlohmann::json{{"success", true}, {"message", kSuccess}}.dump(),
                    "application/json");
  });
  server.get("(?:/live)?/byoc-stats", [&byoc, &auth](const http::Request& req, http::Response& res) {
    // The list names every session id (each one a key to its session's endpoints): with a
    // worker token it is for the token holder (or the admin) only.
    try {
      if (!auth.isAdmin(req)) requireToken(byoc, req);
    } catch (const ControlError& e) {
      return writeError(res, e.kind(), e.what());
    }
    res.setContent(byoc.sessions().statsJson().dump(), "application/json");
  });

  // A comfystream-video session's own WHIP and WHEP endpoints.
  for (Kind kind : {Kind::Whip, Kind::Whep}) {
    const std::string base =
        std::string("(?:/live)?/byoc/") + (kind == Kind::Whip ? "whip/" : "whep/") + kId;
    const std::string resource = base + "/" + kId;
    server.post(base, [&byoc, kind](const http::Request& req, http::Response& res) {
      handleEndpointPost(byoc, kind, req, res);
    });
    server.del(resource, [&byoc, kind](const http::Request& req, http::Response& res) {
      handleEndpointDelete(byoc, kind, req, res);
    });
    // As /whip and /whep: GET is 2xx without content, HEAD on a WHEP endpoint names the type.
    server.get(base, [kind](const http::Request& req, http::Response& res) {
      if (kind == Kind::Whep && req.method == "HEAD") {
        res.status = 200;
        res.setHeader("Content-Type", "application/sdp");
        return;
      }
      res.status = 204;
    });
    server.get(resource, [](const http::Request&, http::Response& res) { res.status = 204; });
    server.patch(resource, [](const http::Request&, http::Response& res) {
      res.setHeader("Allow", "GET, DELETE, OPTIONS");
      writeError(res, 405, "trickle ICE and ICE restart are not supported");
    });
  }
}

}  // namespace cs
