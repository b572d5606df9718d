#include "http/WhipWhepResource.h"

#include <spdlog/spdlog.h>

#include "http/ErrorResponse.h"
#include "http/RecordingResource.h"
#include "http/StatsJson.h"
#include "http/WhepEventTypes.h"
#include "http/WhepEventsResource.h"
#include "rtc/IcePatch.h"
#include "util/EntityTag.h"
#include "util/LogEscape.h"
#include "util/RandomId.h"

namespace cs {
namespace {

using http::Request;
using http::Response;
using http::Role;

constexpr const char* kSessionId = "([0-9a-zA-Z_-]{1,64})";

enum class Kind { Whip, Whep };

std::string streamIdOf(const Request& req) {
  const std::string id = req.param("streamId");
  return id.empty() ? "default" : id;
}

IceSessionRole roleOf(Kind kind) {
  return kind == Kind::Whip ? IceSessionRole::Publisher : IceSessionRole::Viewer;
}

// The session's stream, nullopt once it has ended (or never existed).
std::optional<std::string> streamOfSession(Kind kind, const StreamRegistry& registry,
                                           const std::string& id) {
  if (kind == Kind::Whip) {
    if (auto p = registry.findPublisher(id)) return p->streamId();
  } else if (auto v = registry.findViewer(id)) {
    return v->streamId();
  }
  return std::nullopt;
}

void handlePost(Kind kind, const Request& req, Response& res, WebRtcGateway& gateway,
                IceServerProvider& ice, const http::Authorizer& auth,
                RecordingService* recordings) {
  const std::string streamId = streamIdOf(req);
  try {
    if (streamId.size() > 128)
      throw ControlError(ErrorKind::BadRequest, "streamId is longer than 128 characters");
    auth.require(req, kind == Kind::Whip ? Role::Publish : Role::View, streamId);
    // RFC 9725 §4.2: the offer is application/sdp; anything else is the wrong media type.
    if (mediaTypeOf(req.header("Content-Type")) != "application/sdp")
      throw ControlError(ErrorKind::UnsupportedMedia, "Content-Type required: application/sdp");
    if (kind == Kind::Whip) checkRecordingBeforePublish(recordings, req);
    const auto created =
        kind == Kind::Whip
            ? gateway.publish(streamId, req.param("workflow"), req.body, req.remoteAddress)
            : gateway.subscribe(streamId, req.body, req.remoteAddress);
    if (kind == Kind::Whip) {
      try {
        startRecordingWithPublisher(recordings, req, streamId);
      } catch (const ControlError&) {
        gateway.registry().endPublisher(created.id);  // ?record=1 that cannot record: no session
        throw;
      }
    }
    res.status = 201;
    res.setHeader("Location", std::string(kind == Kind::Whip ? "/whip/" : "/whep/") + created.id);
    // RFC 9725 §4.6: one Link header per ICE server.
    for (const auto& s : ice.current()) res.addHeader("Link", s.linkHeaderValue());
    // RFC 9725 §4.3.1: the ICE session's strong entity-tag, for the PATCHes' If-Match.
    if (auto tag = iceEtagOf(gateway.registry(), roleOf(kind), created.id))
      res.setHeader("ETag", *tag);
    // WHEP core extensions: server-sent events (http/WhepEventsResource.h).
    if (kind == Kind::Whep) res.addHeader("Link", whepEventsLink(created.id));
    res.setContent(created.answer, "application/sdp");
  } catch (const ControlError& e) {
    writeError(res, e);
  } catch (const WorkflowError& e) {
    writeError(res, e);
  }
  if (res.status >= 400)
    spdlog::info("{}: rejected POST for stream {} from {} ({}): {}",
                 kind == Kind::Whip ? "WHIP" : "WHEP", logSafe(streamId), req.remoteAddress,
                 res.status, logSafe(res.body));
}

void handleDelete(Kind kind, const Request& req, Response& res, StreamRegistry& registry,
                  const http::Authorizer& auth) {
  const std::string& id = req.matches[1];
  // The resource URL is the session's key (RFC 9725 §4.3); with tokens on, the session's
  // stream token must come too, so a leaked URL alone cannot end a session.
  if (auth.streamsProtected()) {
    std::optional<std::string> streamId;
    if (kind == Kind::Whip) {
      if (auto p = registry.publisherStats(id)) streamId = p->info.streamId;
    } else if (auto v = registry.viewerStats(id)) {
      streamId = v->info.streamId;
    }
    if (!streamId) throw ControlError(ErrorKind::NotFound, "no such session");
    auth.require(req, kind == Kind::Whip ? Role::Publish : Role::View, *streamId);
  }
  if (kind == Kind::Whip)
    registry.endPublisher(id);
  else
    registry.endViewer(id);
  res.status = 200;
}

// A PATCH's If-Match that does not hold: 412 or 428, thrown from under the session's ICE lock.
struct PreconditionError {
  int status;
  std::string message;
};

// RFC 9725 §4.3, WHEP §4.5: a trickle-ICE fragment adds candidates (204, no body, no ETag); new
// credentials restart ICE (200, the server's fragment, a new ETag). A failed restart answers an
// error and keeps the session on its current ICE session (§4.3.3).
void handlePatch(Kind kind, const Request& req, Response& res, const StreamRegistry& registry,
                 const http::Authorizer& auth, IfMatchPolicy policy) {
  const std::string& id = req.matches[1];
  const auto streamId = streamOfSession(kind, registry, id);
  if (!streamId) throw ControlError(ErrorKind::NotFound, "no such session");
  // As for DELETE: with tokens on, the session URL alone is not enough.
  if (auth.streamsProtected())
    auth.require(req, kind == Kind::Whip ? Role::Publish : Role::View, *streamId);
  if (mediaTypeOf(req.header("Content-Type")) != "application/trickle-ice-sdpfrag")
    throw ControlError(ErrorKind::UnsupportedMedia,
                       "Content-Type required: application/trickle-ice-sdpfrag");
  const std::optional<std::string> ifMatch =
      req.hasHeader("If-Match") ? std::optional(req.header("If-Match")) : std::nullopt;
  // RFC 9725 §4.3.1: 428 without If-Match (unless --ice-if-match lenient), 412 when it names
  // another ICE session; checked under the session's ICE lock.
  const auto check = [&ifMatch, policy](const std::string& current) {
    switch (evaluateIfMatch(ifMatch, current)) {
      case IfMatchResult::Matches:
        return;
      case IfMatchResult::Missing:
        if (policy == IfMatchPolicy::Lenient) return;
        // RFC 6585 §3
        throw PreconditionError{428, "If-Match required: the ETag of the session's 201, or \"*\""};
      case IfMatchResult::Fails:
        // RFC 9110 §13.1.1
        throw PreconditionError{412, "If-Match does not name the session's current ICE session"};
    }
  };
  PeerConnection::IcePatchResult result;
  try {
    result = patchSessionIce(registry, roleOf(kind), id, req.body, check);
  } catch (const PreconditionError& e) {
    return writeError(res, e.status, e.message);
  }
  if (!result.restarted) {
    res.status = 204;
    return;
  }
  res.status = 200;
  res.setHeader("ETag", result.etag);
  res.setContent(result.fragment, "application/trickle-ice-sdpfrag");
}

}  // namespace

void addWhipWhepRoutes(http::Router& router, WebRtcGateway& gateway, IceServerProvider& ice,
                       const http::Authorizer& auth, RecordingService* recordings,
                       IfMatchPolicy ifMatch) {
  // Owned by main; outlives the router.
  StreamRegistry* const registry = &gateway.registry();
  for (Kind kind : {Kind::Whip, Kind::Whep}) {
    const std::string base = std::string("(?:/live)?/") + (kind == Kind::Whip ? "whip" : "whep");
    const std::string session = base + "/" + kSessionId;
    router.post(
        base,
        [kind, &gateway, &ice, &auth, recordings](const Request& req, Response& res) {
          handlePost(kind, req, res, gateway, ice, auth, recordings);
        },
        "application/sdp");
    // RFC 9725 §4.1 / WHEP §4.1: GET on the endpoint or a session is 2xx without content.
    // WHEP §4.2: HEAD on the endpoint is 200 with the Content-Type a POST takes, so players can
    // recognise a WHEP URL, and carries what a GET would: both answer the same.
    router.get(
        base,
        [kind](const Request&, Response& res) {
          if (kind == Kind::Whep) {
            res.status = 200;
            res.setHeader("Content-Type", "application/sdp");
            return;
          }
          res.status = 204;
        },
        http::Dispatch::Inline);
    // A live session: 2xx without content; an ended or unknown one: 404, as for every method,
    // so a client can tell its session is gone.
    router.get(
        session,
        [kind, registry](const Request& req, Response& res) {
          if (!streamOfSession(kind, *registry, req.matches[1]))
            return writeError(res, ErrorKind::NotFound, "no such session");
          res.status = 204;
        },
        http::Dispatch::Inline);
    router.del(session, [kind, registry, &auth](const Request& req, Response& res) {
      handleDelete(kind, req, res, *registry, auth);
    });
    router.patch(session, [kind, registry, &auth, ifMatch](const Request& req, Response& res) {
      answerErrors(res, [&] { handlePatch(kind, req, res, *registry, auth, ifMatch); });
    });
  }
  addWhepEventRoutes(router, *registry, auth);
  // Listings name sessions by their public id only; with an admin token, only its holder sees
  // them at all.
  router.get("(?:/live)?/whip-stats", [registry, &auth](const Request& req, Response& res) {
    auth.requireAdmin(req);
    nlohmann::json out = nlohmann::json::object();
    for (const auto& p : registry->publishers()) {
      const auto stream = registry->findStream(p.info.streamId);
      const auto figures = stream ? std::optional(stream->stats()) : std::nullopt;
      out[publicIdOf(p.info.id)] = publisherStatsJson(p, figures ? &*figures : nullptr);
    }
    res.setContent(dumpJson(out), "application/json");
  });
  router.get("(?:/live)?/whep-stats", [registry, &auth](const Request& req, Response& res) {
    auth.requireAdmin(req);
    nlohmann::json out = nlohmann::json::object();
    for (const auto& v : registry->viewers()) out[publicIdOf(v.info.id)] = viewerStatsJson(v);
    res.setContent(dumpJson(out), "application/json");
  });
}

}  // namespace cs
