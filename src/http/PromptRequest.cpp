#include "http/PromptRequest.h"

#include "http/ErrorResponse.h"

namespace cs::http {

PromptRequest readPromptRequest(const Request& req, const Authorizer& auth) {
  PromptRequest out;
  out.streamId = req.param("streamId").empty() ? "default" : req.param("streamId");
  if (auth.streamsProtected())
    auth.require(req, Role::Publish, out.streamId);
  else
    auth.requireAdmin(req);
  nlohmann::json body = parseJsonBody(req.body);
  if (body.is_object() && body.contains("prompts"))
    out.prompts = std::move(body["prompts"]);
  else
    out.prompts = std::move(body);
  return out;
}

}  // namespace cs::http
