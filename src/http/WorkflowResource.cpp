#include "http/WorkflowResource.h"

#include <spdlog/spdlog.h>

#include "http/ErrorResponse.h"
#include "http/PromptRequest.h"
#include "http/StatsJson.h"
#include "util/LogEscape.h"

namespace cs {
namespace {

using http::Request;
using http::Response;

// The original's resolution field: {"width": int, "height": int}, 512×512 when absent.
void parseResolution(const nlohmann::json& body, int& width, int& height) {
  width = height = 512;
  if (!body.contains("resolution") || body["resolution"].is_null()) return;
  const auto& r = body["resolution"];
  if (!r.is_object() || !r.value("width", nlohmann::json()).is_number_integer() ||
      !r.value("height", nlohmann::json()).is_number_integer())
    throw ControlError(ErrorKind::BadRequest,
                       "resolution must be {\"width\": int, \"height\": int}");
  width = r["width"];
  height = r["height"];
  if (width < 16 || height < 16 || width > 4096 || height > 4096)
    throw ControlError(ErrorKind::BadRequest, "resolution must be within 16-4096");
}

void handleOffer(const Request& req, Response& res, WebRtcGateway& gateway,
                 const http::Authorizer& auth) {
  // An /offer publishes a stream of its own: a token that may publish any stream, or admin.
  auth.require(req, http::Role::Publish, "*");
  const nlohmann::json body = parseJsonBody(req.body);
  if (!body.is_object() || !body.contains("offer") || !body["offer"].is_object() ||
      !body["offer"].contains("sdp") || !body["offer"]["sdp"].is_string())
    throw ControlError(ErrorKind::BadRequest,
                       "expected {\"offer\": {\"sdp\": ..., \"type\": \"offer\"}}");
  if (body["offer"].value("type", "offer") != "offer")
    throw ControlError(ErrorKind::BadRequest, "offer.type must be \"offer\"");
  int width = 0, height = 0;
  parseResolution(body, width, height);
  const auto created = gateway.offer(body["offer"]["sdp"], body.value("prompts", nlohmann::json()),
                                     width, height, req.remoteAddress);
  res.setContent(dumpJson({{"sdp", created.answer}, {"type", "answer"}}), "application/json");
}

}  // namespace

void addWorkflowRoutes(http::Router& router, WebRtcGateway& gateway, WorkflowService& workflows,
                       const http::Authorizer& auth) {
  // Owned by main; outlives the router.
  StreamRegistry* const registry = &gateway.registry();
  // The original's signalling: {"offer": {"sdp", "type"}, "prompts"?, "resolution"?}.
  router.post("(?:/live)?/offer", [&gateway, &auth](const Request& req, Response& res) {
    answerErrors(res, [&] { handleOffer(req, res, gateway, auth); });
    if (res.status >= 400)
      spdlog::info("OFFER: rejected from {} ({}): {}", req.remoteAddress, res.status,
                   logSafe(res.body));
  });
  // The original's POST /prompt, addressed to one stream (?streamId=, default "default"). It
  // changes what someone else's stream shows: the stream's publish token, or the admin token.
  router.post("(?:/live)?/prompt", [registry, &gateway, &workflows, &auth](const Request& req,
                                                                           Response& res) {
    answerErrors(res, [&] {
      const auto [streamId, prompts] = http::readPromptRequest(req, auth);
      validateStreamId(streamId);
      auto stream = registry->findStream(streamId);
      if (!stream || !stream->hasPublisher()) {
        // Set up ahead of going live: the stream's next publisher runs it.
        gateway.stageWorkflow(streamId, WorkflowSource::of("prompt", prompts));
        spdlog::info("stream {}: workflow staged for its next publisher", logSafe(streamId));
        res.setContent(
            dumpJson({{"success", true}, {"stream_id", streamId}, {"applies", "next_publisher"}}),
            "application/json");
        return;
      }
      stream->applyWorkflow(workflows, WorkflowSource::of("prompt", prompts),
                            "the workflow of stream '" + logSafe(streamId) + "'");
      spdlog::info("stream {}: workflow updated", logSafe(streamId));
      res.setContent(dumpJson({{"success", true}, {"stream_id", streamId}, {"applies", "now"}}),
                     "application/json");
    });
  });
  router.get("(?:/live)?/streams/stats", [registry, &auth](const Request& req, Response& res) {
    auth.requireAdmin(req);
    nlohmann::json out = nlohmann::json::object();
    for (const auto& s : registry->streams()) out[s->id()] = streamStatsJson(s->stats());
    res.setContent(dumpJson(out), "application/json");
  });
  router.get(R"((?:/live)?/stream/([^/]{1,128})/stats)",
             [registry, &auth](const Request& req, Response& res) {
               auth.requireAdmin(req);
               auto stream = registry->findStream(req.matches[1]);
               // The original answers {"error": "Stream not found"}; we keep the body and say 404.
               if (!stream) return writeError(res, 404, "Stream not found");
               res.setContent(dumpJson(streamStatsJson(stream->stats())), "application/json");
             });
}

}  // namespace cs
