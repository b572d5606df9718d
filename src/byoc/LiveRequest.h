#pragma once
// The bodies of the live worker's requests, as pytrickle takes them (docs/LIVEPEER.md):
//   POST /stream/start  {"gateway_request_id", "subscribe_url", "publish_url"?, "control_url"?,
//                        "events_url"?, "data_url"?, "params"?}
//   POST /stream/params and control-channel messages: a flat params object.
// Parsed strictly where a value is used (400 naming the field) and leniently where pytrickle is
// lenient: unknown params keys are kept, never refused, and "params" may be a JSON string.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace cs {

struct LiveParams {
  static constexpr int kMaxDimension = 4096;

  // The workflow: one ComfyUI API-format workflow, or a list of them (what /prompt takes).
  // "prompts" or "prompt"; a JSON string holding either is accepted, as pytrickle does.
  std::optional<nlohmann::json> prompts;
  // width and height, both or neither, each 16..kMaxDimension and even (I420).
  std::optional<std::pair<int, int>> size;
  std::optional<double> maxFramerate;               // 1..60
  nlohmann::json other = nlohmann::json::object();  // keys this worker does not use

  // Throws ControlError(BadRequest) naming the offending field.
  static LiveParams parse(const nlohmann::json& params);
  bool empty() const { return !prompts && !size && !maxFramerate; }
};

struct LiveStartRequest {
  std::string gatewayRequestId;  // the stream's id here too (WHEP, stats, /metrics)
  std::string subscribeUrl;      // input channel (MPEG-TS)
  std::string publishUrl;        // output channel (MPEG-TS); empty: output only over WHEP
  std::string controlUrl, eventsUrl, dataUrl;  // empty: not given
  LiveParams params;

  // Throws ControlError(BadRequest) naming the offending field.
  static LiveStartRequest parse(const nlohmann::json& body);
};

// The "keep alive" control message the gateway writes every 10 s: {"keep":"alive"}.
bool isKeepAlive(const nlohmann::json& message);

}  // namespace cs
