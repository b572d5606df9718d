#include "byoc/JobRequest.h"

#include "util/ControlError.h"
#include "util/JsonLimits.h"
#include "workflow/Prompt.h"

namespace cs {
namespace {

constexpr int kMinSide = 16;
constexpr int kMaxSide = 4096;
constexpr size_t kMaxIdLength = 128;

[[noreturn]] void bad(const std::string& message) {
  throw ControlError(ErrorKind::BadRequest, message);
}

int dimension(const nlohmann::json& obj, const char* field, const std::string& where) {
  if (!obj.contains(field) || obj[field].is_null()) return 512;
  const auto& v = obj[field];
  if (!v.is_number_integer()) bad("'" + where + field + "' must be an integer");
  const auto n = v.get<int64_t>();
  if (n < kMinSide || n > kMaxSide)
    bad("'" + where + field + "' must be within " + std::to_string(kMinSide) + "-" +
        std::to_string(kMaxSide));
  return static_cast<int>(n);
}

std::string sdpOffer(const nlohmann::json& body) {
  if (!body.contains("sdp_offer") || body["sdp_offer"].is_null()) bad("'sdp_offer' is missing");
  if (!body["sdp_offer"].is_string()) bad("'sdp_offer' must be a string");
  std::string sdp = body["sdp_offer"];
  if (sdp.find_first_not_of(" \t\r\n") == std::string::npos) bad("'sdp_offer' is empty");
  return sdp;
}

std::string optionalId(const nlohmann::json& body, const char* field) {
  if (!body.contains(field) || body[field].is_null()) return {};
  if (!body[field].is_string()) bad(std::string("'") + field + "' must be a string");
  std::string id = body[field];
  if (id.empty() || id.size() > kMaxIdLength)
    bad(std::string("'") + field + "' must be 1-" + std::to_string(kMaxIdLength) + " characters");
  for (unsigned char c : id)
    if (c < 0x21 || c > 0x7e || c == '/')
      bad(std::string("'") + field + "' contains a character that is not allowed");
  return id;
}

nlohmann::json bound(nlohmann::json workflows, const std::vector<TextPrompt>& texts) {
  if (!texts.empty()) bindTextInputs(workflows, combinedText(texts));
  return workflows;
}

}  // namespace

nlohmann::json parseJsonObject(const std::string& body, size_t maxBytes) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) bad("the request body is empty");
  // Bounded: depth and size limits (util/JsonLimits.h); errors are BadRequest already.
  nlohmann::json j = parseJsonBounded(body, kMaxJsonDepth, maxBytes);
  if (!j.is_object()) bad("the request body must be a JSON object");
  return j;
}

nlohmann::json normalizePrompts(const nlohmann::json& obj, const char* where,
                                std::vector<TextPrompt>* texts) {
  if (!obj.contains("prompts") || obj["prompts"].is_null()) return defaultPrompt();
  const std::string field = std::string(where) + "prompts";
  // The seed's own examples carry text prompts ({text, weight}): the session's prompt text,
  // bound to the workflows' text inputs; with no workflow beside them the default one runs.
  PromptParts parts = splitTextPrompts(obj["prompts"], field);
  if (texts) *texts = parts.texts;
  const auto& p = parts.workflows;
  if (p.is_null()) return defaultPrompt();
  if (p.is_object()) return p.empty() ? defaultPrompt() : bound(p, parts.texts);
  if (!p.is_array()) bad("'" + field + "' must be a workflow object or a list of them");
  bool allEmpty = true;
  for (const auto& w : p) {
    if (!w.is_object())
      bad("'" + field + "' must be a workflow object, a text prompt, or a list of them");
    allEmpty = allEmpty && w.empty();
  }
  return allEmpty ? defaultPrompt() : bound(p, parts.texts);
}

VideoJobRequest parseVideoJob(const nlohmann::json& body) {
  if (!body.contains("input") || body["input"].is_null()) bad("'input' is missing");
  const auto& in = body["input"];
  if (!in.is_object()) bad("'input' must be an object");
  if (body.contains("workspace") && !body["workspace"].is_null() && !body["workspace"].is_string())
    bad("'workspace' must be a string");
  if (in.contains("media_data") && !in["media_data"].is_null() && !in["media_data"].is_string())
    bad("'input.media_data' must be a string");
  VideoJobRequest r;
  if (in.contains("media_data") && in["media_data"].is_string())
    r.mediaData = in["media_data"].get<std::string>();
  r.prompts = normalizePrompts(in, "input.", &r.texts);
  r.width = dimension(in, "width", "input.");
  r.height = dimension(in, "height", "input.");
  return r;
}

WhipJobRequest parseWhipJob(const nlohmann::json& body) {
  WhipJobRequest r;
  r.sdpOffer = sdpOffer(body);
  r.prompts = normalizePrompts(body, "", &r.texts);
  r.width = dimension(body, "width", "");
  r.height = dimension(body, "height", "");
  return r;
}

WhepJobRequest parseWhepJob(const nlohmann::json& body) {
  WhepJobRequest r;
  r.sdpOffer = sdpOffer(body);
  r.sessionId = optionalId(body, "session_id");
  r.streamId = optionalId(body, "stream_id");
  if (!r.sessionId.empty() && !r.streamId.empty())
    bad("give 'session_id' or 'stream_id', not both");
  return r;
}

}  // namespace cs
