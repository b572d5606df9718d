#include "http/ErrorResponse.h"

#include <nlohmann/json.hpp>

#include "util/JsonLimits.h"

namespace cs {

int statusFor(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::BadRequest: return 400;
    case ErrorKind::Unauthorized: return 401;
    case ErrorKind::NotFound: return 404;
    case ErrorKind::Conflict: return 409;
    case ErrorKind::NoPublisher: return 409;
    case ErrorKind::PayloadTooLarge: return 413;
    case ErrorKind::UnsupportedMedia: return 415;
    case ErrorKind::Unprocessable: return 422;
    case ErrorKind::Capacity: return 503;
    case ErrorKind::Internal: return 500;
  }
  return 500;
}

void writeError(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(nlohmann::json{{"error", message}, {"status_code", status}}.dump(),
                  "application/json");
}

void writeError(httplib::Response& res, ErrorKind kind, const std::string& message) {
  writeError(res, statusFor(kind), message);
  // WHEP §4.3.8: no publisher yet, try again; RFC 9725 §4.5: overloaded, try again later.
  if (kind == ErrorKind::NoPublisher) res.set_header("Retry-After", "2");
  if (kind == ErrorKind::Capacity) res.set_header("Retry-After", "10");
  if (kind == ErrorKind::Unauthorized)
    res.set_header("WWW-Authenticate", "Bearer realm=\"comfystream\", error=\"invalid_token\"");
}

}  // namespace cs

namespace cs {

nlohmann::json parseJsonBody(const std::string& body) {
  return parseJsonBounded(body);  // util/JsonLimits.h: depth/size limits, readable errors
}

void writeError(httplib::Response& res, const WorkflowError& e) {
  res.status = 400;
  auto body = e.toJson();
  body["status_code"] = 400;
  res.set_content(body.dump(), "application/json");
}

}  // namespace cs
