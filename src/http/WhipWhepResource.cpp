#include "http/WhipWhepResource.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "http/ErrorResponse.h"

namespace cs {
namespace {

constexpr const char* kSessionId = "([0-9a-zA-Z_-]{1,64})";

enum class Kind { Whip, Whep };

std::string streamIdOf(const httplib::Request& req) {
  const std::string id = req.get_param_value("streamId");
  return id.empty() ? "default" : id;
}

void handlePost(Kind kind, const httplib::Request& req, httplib::Response& res,
                StreamRegistry& registry, IceServerProvider& ice) {
  answerErrors(res, [&] {
    // RFC 9725 §4.2: the offer is application/sdp; anything else is the wrong media type.
    if (mediaType(req.get_header_value("Content-Type")) != "application/sdp")
      throw ControlError(ErrorKind::UnsupportedMedia, "Content-Type required: application/sdp");
    const std::string streamId = streamIdOf(req);
    if (streamId.size() > 128)
      throw ControlError(ErrorKind::BadRequest, "streamId is longer than 128 characters");
    const auto created = kind == Kind::Whip
                             ? registry.publish(streamId, req.get_param_value("workflow"), req.body)
                             : registry.subscribe(streamId, req.body);
    res.status = 201;
    res.set_header("Location", std::string(kind == Kind::Whip ? "/whip/" : "/whep/") + created.id);
    // RFC 9725 §4.6: one Link header per ICE server.
    for (const auto& s : ice.current()) res.headers.emplace("Link", s.linkHeaderValue());
    res.set_content(created.answer, "application/sdp");
  });
  if (res.status >= 400)
    spdlog::info("{}: rejected POST for stream {} ({}): {}", kind == Kind::Whip ? "WHIP" : "WHEP",
                 streamIdOf(req), res.status, res.body);
}

void handleDelete(Kind kind, const httplib::Request& req, httplib::Response& res,
                  StreamRegistry& registry) {
  answerErrors(res, [&] {
    const std::string id = req.matches[1];
    if (kind == Kind::Whip)
      registry.unpublish(id);
    else
      registry.unsubscribe(id);
    res.status = 200;
  });
}

}  // namespace

std::string mediaType(const std::string& contentType) {
  std::string t = contentType.substr(0, contentType.find(';'));
  t.erase(0, t.find_first_not_of(" \t"));
  t.erase(t.find_last_not_of(" \t") + 1);
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
  return t;
}

void registerWhipWhepRoutes(httplib::Server& server, StreamRegistry& registry,
                            IceServerProvider& ice) {
  for (Kind kind : {Kind::Whip, Kind::Whep}) {
    const std::string base = std::string("(?:/live)?/") + (kind == Kind::Whip ? "whip" : "whep");
    const std::string session = base + "/" + kSessionId;
    server.Post(base, [kind, &registry, &ice](const httplib::Request& req, httplib::Response& res) {
      handlePost(kind, req, res, registry, ice);
    });
    // RFC 9725 §4.1 / WHEP §4.1: GET on the endpoint or a session is 2xx without content.
    // WHEP §4.2: HEAD on the endpoint is 200 with the Content-Type a POST takes, so players can
    // recognise a WHEP URL (cpp-httplib routes HEAD to the GET handler).
    server.Get(base, [kind](const httplib::Request& req, httplib::Response& res) {
      if (kind == Kind::Whep && req.method == "HEAD") {
        res.status = 200;
        res.set_header("Content-Type", "application/sdp");
        return;
      }
      res.status = 204;
    });
    server.Get(session, [](const httplib::Request&, httplib::Response& res) { res.status = 204; });
    server.Delete(session, [kind, &registry](const httplib::Request& req, httplib::Response& res) {
      handleDelete(kind, req, res, registry);
    });
    // Neither trickle ICE nor ICE restart is supported: the answer holds every candidate.
    server.Patch(session, [](const httplib::Request&, httplib::Response& res) {
      res.set_header("Allow", "GET, DELETE, OPTIONS");
      writeError(res, 405, "trickle ICE and ICE restart are not supported");
    });
  }
  server.Get("(?:/live)?/whip-stats", [&registry](const httplib::Request&, httplib::Response& res) {
    res.set_content(registry.whipStats().dump(), "application/json");
  });
  server.Get("(?:/live)?/whep-stats", [&registry](const httplib::Request&, httplib::Response& res) {
    res.set_content(registry.whepStats().dump(), "application/json");
  });
}

}  // namespace cs
