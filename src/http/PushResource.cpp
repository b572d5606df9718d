#include "http/PushResource.h"

#include <spdlog/spdlog.h>

#include "http/ErrorResponse.h"
#include "util/LogEscape.h"

namespace cs {
namespace {

using http::Request;
using http::Response;

// As the recordings' routes: the stream id is everything between /streams/ and /pushes.
constexpr const char* kBase = R"((?:/live)?/streams/(.{1,256})/pushes)";
constexpr const char* kPushId = "([0-9a-f]{32})";

void requireAccess(const http::Authorizer& auth, const Request& req, const std::string& streamId) {
  if (auth.streamsProtected())
    auth.require(req, http::Role::Publish, streamId);
  else
    auth.requireAdmin(req);
}

// RFC 3986 §2.3: everything but unreserved characters percent-encoded.
std::string pathSegment(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

std::string stringField(const nlohmann::json& body, const char* name, bool required) {
  if (!body.contains(name)) {
    if (required)
      throw ControlError(ErrorKind::BadRequest, std::string("\"") + name + "\" is required");
    return {};
  }
  const auto& v = body[name];
  if (v.is_null() && !required) return {};
  if (!v.is_string())
    throw ControlError(ErrorKind::BadRequest, std::string("\"") + name + "\" must be a string");
  return v.get<std::string>();
}

}  // namespace

nlohmann::json pushJson(const PushStatus& s) {
  return {
      {"id", s.id},
      {"stream_id", s.streamId},
      {"url", s.url},
      {"state", std::string(toString(s.state))},
      {"attempts", s.attempts},
      {"last_error", s.lastError.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.lastError)},
      {"retry_in", s.retryIn},
      {"frames_sent", s.framesSent},
      {"frames_dropped", s.framesDropped},
      {"bytes_sent", s.bytesSent},
      {"started_at", s.startedAt},
      {"live_since", s.liveSince > 0 ? nlohmann::json(s.liveSince) : nlohmann::json(nullptr)},
      {"has_audio", s.hasAudio},
  };
}

void addPushRoutes(http::Router& router, PushService& pushes, const http::Authorizer& auth) {
  const std::string base = kBase;
  const std::string one = base + "/" + kPushId;
  router.post(
      base,
      [&pushes, &auth](const Request& req, Response& res) {
        answerErrors(res, [&] {
          const std::string& streamId = req.matches[1];
          requireAccess(auth, req, streamId);
          if (mediaTypeOf(req.header("Content-Type")) != "application/json")
            throw ControlError(ErrorKind::UnsupportedMedia,
                               "Content-Type required: application/json");
          const nlohmann::json body = parseJsonBody(req.body);
          if (!body.is_object())
            throw ControlError(ErrorKind::BadRequest, "the body must be a JSON object");
          const PushStatus s = pushes.start(streamId, stringField(body, "url", true),
                                            stringField(body, "token", false), req.remoteAddress);
          res.status = 201;
          res.setHeader("Location", "/streams/" + pathSegment(s.streamId) + "/pushes/" + s.id);
          res.setContent(dumpJson(pushJson(s)), "application/json");
        });
        if (res.status >= 400)
          spdlog::info("pushes: rejected POST for stream {} from {} ({}): {}",
                       logSafe(req.matches[1]), req.remoteAddress, res.status, logSafe(res.body));
      },
      "application/json");
  router.get(base, [&pushes, &auth](const Request& req, Response& res) {
    answerErrors(res, [&] {
      const std::string& streamId = req.matches[1];
      requireAccess(auth, req, streamId);
      const auto all = pushes.list(streamId);
      if (all.empty() && !pushes.streamExists(streamId))
        throw ControlError(ErrorKind::NotFound, "no stream '" + logSafe(streamId) + "'");
      nlohmann::json list = nlohmann::json::array();
      for (const auto& s : all) list.push_back(pushJson(s));
      res.setContent(dumpJson({{"pushes", std::move(list)}}), "application/json");
    });
  });
  router.get(one, [&pushes, &auth](const Request& req, Response& res) {
    answerErrors(res, [&] {
      requireAccess(auth, req, req.matches[1]);
      const auto s = pushes.status(req.matches[1], req.matches[2]);
      if (!s) throw ControlError(ErrorKind::NotFound, "no such push");
      res.setContent(dumpJson(pushJson(*s)), "application/json");
    });
  });
  router.del(one, [&pushes, &auth](const Request& req, Response& res) {
    answerErrors(res, [&] {
      requireAccess(auth, req, req.matches[1]);
      const PushStatus s = pushes.stop(req.matches[1], req.matches[2]);
      res.setContent(dumpJson(pushJson(s)), "application/json");
    });
  });
}

}  // namespace cs
