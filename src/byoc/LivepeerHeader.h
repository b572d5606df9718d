#pragma once
// The `Livepeer` request header of a BYOC job: base64 (standard alphabet, padded) of a JSON
// object {"request": "<JSON object as a string>", "parameters": "<JSON object as a string>",
// "capability": "<name>", "timeout_seconds": N, ...} (go-livepeer byoc/types.go, utils.go).
// A real orchestrator does not forward it to the worker; clients calling the worker directly may
// send it, and then it must be well-formed.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace cs {

struct LivepeerJob {
  std::string capability;
  nlohmann::json request;     // the decoded `request` object
  nlohmann::json parameters;  // the decoded `parameters` object ({} when absent)
  int timeoutSeconds = 0;
  std::string id;  // optional job id (logging only)
};

// Strict RFC 4648 §4 base64 with padding (Go's base64.StdEncoding). nullopt when malformed.
std::optional<std::string> decodeBase64Std(std::string_view in);
std::string encodeBase64Std(std::string_view in);

// Parses and validates the header value. Throws ControlError(BadRequest) naming what is wrong.
LivepeerJob parseLivepeerHeader(std::string_view value);

}  // namespace cs
