#include "http/RequestPreparation.h"

#include "http/ErrorResponse.h"
#include "http/Url.h"
#include "util/Utf8.h"

namespace cs::http {
namespace {

// Bodies the routes read as text: they must be UTF-8 (SDP: RFC 8866 §5; JSON: RFC 8259 §8.1).
bool isTextBody(const std::string& contentType) {
  const std::string t = mediaTypeOf(contentType);
  return t == "application/sdp" || t == "application/json" || t.starts_with("text/");
}

}  // namespace

Request fromMessage(boost::beast::http::request<boost::beast::http::string_body>&& msg,
                    std::string remoteAddress, bool secure) {
  Request req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  for (const auto& f : msg)
    req.headers.emplace(std::string(f.name_string()), std::string(f.value()));
  req.body = std::move(msg.body());
  req.remoteAddress = std::move(remoteAddress);
  req.secure = secure;
  return req;
}

bool prepareRequest(Request& req, std::string& why) {
  auto target = parseTarget(req.target, why);
  if (!target) return false;
  req.path = std::move(target->path);
  req.params = std::move(target->params);
  if (isTextBody(req.header("Content-Type")) && !isValidUtf8(req.body)) {
    why = "the request body is not valid UTF-8";
    return false;
  }
  return true;
}

}  // namespace cs::http
