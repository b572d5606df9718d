#include "http/ErrorResponse.h"

#include <algorithm>

#include "util/JsonLimits.h"

namespace cs {

int statusFor(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::BadRequest:
      return 400;
    case ErrorKind::Unauthorized:
    case ErrorKind::InvalidToken:
      return 401;
    case ErrorKind::Forbidden:
      return 403;
    case ErrorKind::NotFound:
      return 404;
    case ErrorKind::Conflict:
      return 409;
    case ErrorKind::NoPublisher:
      return 409;
    case ErrorKind::PayloadTooLarge:
      return 413;
    case ErrorKind::UnsupportedMedia:
      return 415;
    case ErrorKind::Unprocessable:
      return 422;
    case ErrorKind::TooManyRequests:
      return 429;
    case ErrorKind::Capacity:
      return 503;
    case ErrorKind::Internal:
      return 500;
  }
  return 500;
}

std::string dumpJson(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void writeError(http::Response& res, int status, const std::string& message) {
  res.status = status;
  res.setContent(dumpJson({{"error", message}, {"status_code", status}}), "application/json");
}

void writeError(http::Response& res, ErrorKind kind, const std::string& message) {
  writeError(res, statusFor(kind), message);
  // WHEP §4.3.8: no publisher yet, try again; RFC 9725 §4.5: overloaded, try again later;
  // RFC 6585 §4: 429 says when to come back.
  if (kind == ErrorKind::NoPublisher) res.setHeader("Retry-After", "2");
  if (kind == ErrorKind::Capacity) res.setHeader("Retry-After", "10");
  if (kind == ErrorKind::TooManyRequests) res.setHeader("Retry-After", "5");
  // RFC 6750 §3: a 401 names the scheme; §3.1: the error code only once a token was presented.
  if (kind == ErrorKind::Unauthorized)
    res.setHeader("WWW-Authenticate", "Bearer realm=\"comfystream\"");
  if (kind == ErrorKind::InvalidToken)
    res.setHeader("WWW-Authenticate", "Bearer realm=\"comfystream\", error=\"invalid_token\"");
}

void writeError(http::Response& res, const ControlError& e) {
  writeError(res, e.kind(), e.what());
  if (e.retryAfter() > 0) res.setHeader("Retry-After", std::to_string(e.retryAfter()));
}

void writeError(http::Response& res, const WorkflowError& e, WorkflowErrorShape shape) {
  res.status = 400;
  auto comfy = e.toJson();
  if (shape == WorkflowErrorShape::ComfyUI) {
    comfy["status_code"] = 400;
    return res.setContent(dumpJson(comfy), "application/json");
  }
  nlohmann::json body = {{"error", std::string("invalid workflow: ") + e.what()},
                         {"status_code", 400}};
  if (comfy.contains("node_errors") && !comfy["node_errors"].empty())
    body["node_errors"] = comfy["node_errors"];
  res.setContent(dumpJson(body), "application/json");
}

nlohmann::json parseJsonBody(const std::string& body) {
  return parseJsonBounded(body);  // util/JsonLimits.h: depth/size limits, readable errors
}

std::string mediaTypeOf(const std::string& contentType) {
  std::string t = contentType.substr(0, contentType.find(';'));
  t.erase(0, t.find_first_not_of(" \t"));
  t.erase(t.find_last_not_of(" \t") + 1);
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
  return t;
}

}  // namespace cs
