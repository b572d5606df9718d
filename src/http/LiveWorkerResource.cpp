#include "http/LiveWorkerResource.h"

#include <spdlog/spdlog.h>

#include "byoc/JobRequest.h"
#include "http/ByocResource.h"
#include "http/ErrorResponse.h"
#include "util/LogEscape.h"

namespace cs {
namespace {

using http::Request;
using http::Response;

// A stop body is whatever the orchestrator sends ("stream ended", an error string, JSON): only
// a bounded, printable excerpt of it is kept, as the reason in the logs and the last event.
constexpr size_t kMaxReasonBytes = 200;

void requireToken(const LiveWorker& worker, const Request& req) {
  if (!bearerMatches(req.header("Authorization"), worker.settings().workerToken))
    throw req.hasHeader("Authorization")
        ? ControlError(ErrorKind::InvalidToken,
                       "the Authorization bearer token does not match --worker-token")
        : ControlError(ErrorKind::Unauthorized, "Authorization: Bearer <worker token> required");
}

// pytrickle's error shape beside ours.
template <typename Fn>
void answer(Response& res, Fn&& fn) {
  answerErrors(res, std::forward<Fn>(fn), WorkflowErrorShape::Message);
  if (res.status < 400) return;
  nlohmann::json body = nlohmann::json::parse(res.body, nullptr, false);
  if (!body.is_object()) return;
  body["status"] = "error";
  if (body.contains("error") && body["error"].is_string()) body["message"] = body["error"];
  res.setContent(dumpJson(body), "application/json");
}

void reply(Response& res, const nlohmann::json& body) {
  res.status = 200;
  res.setContent(dumpJson(body), "application/json");
}

std::string stopReason(const std::string& body) {
  std::string text = body.substr(0, kMaxReasonBytes);
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return "POST /stream/stop";
  return "POST /stream/stop: " + logSafe(text, kMaxReasonBytes);
}

}  // namespace

void addLiveWorkerRoutes(http::Router& router, LiveWorker& worker, std::string version) {
  const auto start = [&worker](const Request& req, Response& res) {
    answer(res, [&] {
      requireToken(worker, req);
      LiveStartRequest request = LiveStartRequest::parse(parseJsonObject(req.body));
      const std::string header = req.header("X-Stream-Id");
      if (!header.empty() && header != request.gatewayRequestId)
        throw ControlError(ErrorKind::BadRequest, "X-Stream-Id '" + logSafe(header, 64) +
                                                      "' differs from gateway_request_id '" +
                                                      logSafe(request.gatewayRequestId, 64) + "'");
      reply(res, worker.start(std::move(request), req.remoteAddress));
    });
    if (res.status >= 400)
      spdlog::info("live worker: start refused ({}): {}", res.status, logSafe(res.body, 400));
  };
  router.post("/stream/start", start, "application/json");
  router.post("/live-video-to-video", start, "application/json");

  router.post(
      "/stream/params",
      [&worker](const Request& req, Response& res) {
        answer(res, [&] {
          requireToken(worker, req);
          const LiveParams params = LiveParams::parse(parseJsonObject(req.body));
          reply(res, worker.updateParams(req.header("X-Stream-Id"), params));
        });
      },
      "application/json");

  // The orchestrator posts raw text ("stream ended") without a Content-Type: anything goes.
  router.post("/stream/stop", [&worker](const Request& req, Response& res) {
    answer(res, [&] {
      requireToken(worker, req);
      reply(res, worker.stop(req.header("X-Stream-Id"), stopReason(req.body)));
    });
  });

  router.get("/stream/status", [&worker](const Request& req, Response& res) {
    answer(res, [&] {
      requireToken(worker, req);
      reply(res, worker.status());
    });
  });

  router.get(
      "/version",
      [version = std::move(version)](const Request&, Response& res) {
        reply(res,
              {{"pipeline", "comfystream"}, {"model_id", "comfystream"}, {"version", version}});
      },
      http::Dispatch::Inline);
}

}  // namespace cs
