#include "byoc/LiveRequest.h"

#include <cmath>

#include "byoc/JobRequest.h"
#include "stream/StreamRegistry.h"
#include "util/ControlError.h"
#include "util/HttpUrl.h"
#include "util/JsonLimits.h"
#include "util/LogEscape.h"

namespace cs {
namespace {

[[noreturn]] void bad(const std::string& message) {
  throw ControlError(ErrorKind::BadRequest, message);
}

// A JSON string holding JSON: pytrickle accepts params and prompts both ways, since a gateway's
// StartRequest carries params as a JSON-encoded string.
nlohmann::json unwrapString(const nlohmann::json& value, const char* field) {
  if (!value.is_string()) return value;
  try {
    return parseJsonBounded(value.get<std::string>());
  } catch (const ControlError& e) {
    bad(std::string("'") + field + "' is a string that is not JSON: " + e.what());
  }
}

int dimension(const nlohmann::json& params, const char* field) {
  const auto& v = params.at(field);
  if (!v.is_number_integer())
    bad(std::string("'") + field + "' must be an integer number of pixels");
  const auto n = v.get<int64_t>();
  if (n < 16 || n > LiveParams::kMaxDimension || n % 2 != 0)
    bad(std::string("'") + field + "' must be an even number from 16 to " +
        std::to_string(LiveParams::kMaxDimension) + " (got " + std::to_string(n) + ")");
  return static_cast<int>(n);
}

std::string channelUrl(const nlohmann::json& body, const char* field, bool required) {
  const auto it = body.find(field);
  if (it == body.end() || it->is_null() || (it->is_string() && it->get<std::string>().empty())) {
    if (required) bad(std::string("'") + field + "' is required");
    return {};
  }
  if (!it->is_string()) bad(std::string("'") + field + "' must be a string");
  std::string why;
  const auto url = HttpUrl::parse(it->get<std::string>(), &why);
  if (!url) bad(std::string("'") + field + "' is not a usable http(s) URL: " + why);
  return url->str();
}

}  // namespace

LiveParams LiveParams::parse(const nlohmann::json& raw) {
  LiveParams out;
  if (raw.is_null()) return out;
  const nlohmann::json params = unwrapString(raw, "params");
  if (!params.is_object()) bad("'params' must be an object");
  for (const auto& [key, value] : params.items()) {
    if (key == "prompts" || key == "prompt") {
      if (out.prompts) bad("give 'prompts' or 'prompt', not both");
      // The BYOC jobs' rules: a workflow or a list, text prompts ({text, weight}) written into
      // the workflows' text inputs, placeholders ([{}], null) meaning the default workflow.
      const nlohmann::json holder = {{"prompts", unwrapString(value, key.c_str())}};
      std::vector<TextPrompt> texts;
      out.prompts = normalizePrompts(holder, "params.", &texts);
    } else if (key == "width" || key == "height") {
      // read together below
    } else if (key == "max_framerate") {
      if (!value.is_number()) bad("'max_framerate' must be a number");
      const double fps = value.get<double>();
      if (!std::isfinite(fps) || fps < 1 || fps > 60)
        bad("'max_framerate' must be from 1 to 60 (got " + value.dump() + ")");
      out.maxFramerate = fps;
    } else {
      out.other[key] = value;
    }
  }
  const bool w = params.contains("width"), h = params.contains("height");
  if (w != h) bad("'width' and 'height' go together");
  if (w) out.size = std::make_pair(dimension(params, "width"), dimension(params, "height"));
  return out;
}

LiveStartRequest LiveStartRequest::parse(const nlohmann::json& body) {
  if (!body.is_object()) bad("the body must be a JSON object");
  LiveStartRequest out;
  const auto id = body.find("gateway_request_id");
  if (id == body.end() || !id->is_string() || id->get<std::string>().empty())
    bad("'gateway_request_id' is required (a string)");
  out.gatewayRequestId = id->get<std::string>();
  validateStreamId(out.gatewayRequestId);
  out.subscribeUrl = channelUrl(body, "subscribe_url", true);
  out.publishUrl = channelUrl(body, "publish_url", false);
  out.controlUrl = channelUrl(body, "control_url", false);
  out.eventsUrl = channelUrl(body, "events_url", false);
  out.dataUrl = channelUrl(body, "data_url", false);
  if (const auto p = body.find("params"); p != body.end()) out.params = LiveParams::parse(*p);
  return out;
}

bool isKeepAlive(const nlohmann::json& message) {
  return message.is_object() && message.size() == 1 && message.contains("keep") &&
         message["keep"] == "alive";
}

}  // namespace cs
