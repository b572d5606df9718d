#include "http/WorkflowResource.h"

#include <spdlog/spdlog.h>

#include "http/ErrorResponse.h"

namespace cs {
namespace {

std::string streamIdOf(const httplib::Request& req) {
  const std::string id = req.get_param_value("streamId");
  return id.empty() ? "default" : id;
}

// The original's resolution field: {"width": int, "height": int}, 512×512 when absent.
void parseResolution(const nlohmann::json& body, int& width, int& height) {
  width = height = 512;
  if (!body.contains("resolution") || body["resolution"].is_null()) return;
  const auto& r = body["resolution"];
  if (!r.is_object() || !r.value("width", nlohmann::json()).is_number_integer() ||
      !r.value("height", nlohmann::json()).is_number_integer())
    throw ControlError(ErrorKind::BadRequest, "resolution must be {\"width\": int, \"height\": int}");
  width = r["width"];
  height = r["height"];
  if (width < 16 || height < 16 || width > 4096 || height > 4096)
    throw ControlError(ErrorKind::BadRequest, "resolution must be within 16-4096");
}

void handleOffer(const httplib::Request& req, httplib::Response& res, StreamRegistry& registry) {
  const nlohmann::json body = parseJsonBody(req.body);
  if (!body.is_object() || !body.contains("offer") || !body["offer"].is_object() ||
      !body["offer"].contains("sdp") || !body["offer"]["sdp"].is_string())
    throw ControlError(ErrorKind::BadRequest,
                       "expected {\"offer\": {\"sdp\": ..., \"type\": \"offer\"}}");
  if (body["offer"].value("type", "offer") != "offer")
    throw ControlError(ErrorKind::BadRequest, "offer.type must be \"offer\"");
  int width = 0, height = 0;
  parseResolution(body, width, height);
  const auto created =
      registry.offer(body["offer"]["sdp"], body.value("prompts", nlohmann::json()), width, height);
  res.set_content(nlohmann::json{{"sdp", created.answer}, {"type", "answer"}}.dump(),
                  "application/json");
}

}  // namespace

void registerWorkflowRoutes(httplib::Server& server, StreamRegistry& registry) {
  // The original's signalling: {"offer": {"sdp", "type"}, "prompts"?, "resolution"?}.
  server.Post("(?:/live)?/offer", [&registry](const httplib::Request& req, httplib::Response& res) {
    answerErrors(res, [&] { handleOffer(req, res, registry); });
    if (res.status >= 400) spdlog::info("OFFER: rejected ({}): {}", res.status, res.body);
  });
  // The original's POST /prompt, addressed to one stream (?streamId=, default "default").
  server.Post("(?:/live)?/prompt", [&registry](const httplib::Request& req, httplib::Response& res) {
    answerErrors(res, [&] {
      const nlohmann::json body = parseJsonBody(req.body);
      // {"prompts": …} as the data channel sends, or the workflow(s) themselves as the original.
      const auto& prompts = body.is_object() && body.contains("prompts") ? body["prompts"] : body;
      registry.applyPrompts(streamIdOf(req), prompts);
      res.set_content(nlohmann::json{{"success", true}, {"stream_id", streamIdOf(req)}}.dump(),
                      "application/json");
    });
  });
  server.Get("(?:/live)?/streams/stats", [&registry](const httplib::Request&, httplib::Response& res) {
    res.set_content(registry.streamsStats().dump(), "application/json");
  });
  server.Get(R"((?:/live)?/stream/([^/]{1,128})/stats)",
             [&registry](const httplib::Request& req, httplib::Response& res) {
               auto stream = registry.findStream(req.matches[1]);
               // The original answers {"error": "Stream not found"}; we keep the body and say 404.
               if (!stream) return writeError(res, 404, "Stream not found");
               res.set_content(stream->statsJson().dump(), "application/json");
             });
}

}  // namespace cs
