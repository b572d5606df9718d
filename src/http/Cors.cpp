#include "http/Cors.h"

#include <regex>

namespace cs::http {

void applyCors(Response& res) {
  res.setHeader("Access-Control-Allow-Origin", "*");
  res.setHeader("Access-Control-Expose-Headers",
                "Location, ETag, Link, Accept-Post, Accept-Patch, Retry-After, WWW-Authenticate");
}

void answerPreflight(const Request& req, Response& res) {
  static const std::regex kByocEndpoint("(?:/live)?/byoc/wh[ie]p/[^/]+");
  res.status = 204;
  res.setHeader("Access-Control-Allow-Methods", "OPTIONS, GET, HEAD, POST, PATCH, DELETE");
  res.setHeader("Access-Control-Allow-Headers", "Authorization, Content-Type, If-Match");
  res.setHeader("Access-Control-Max-Age", "600");
  // RFC 9725 §4.2: an OPTIONS on the endpoint advertises what POST takes.
  if (req.path.ends_with("/whip") || req.path.ends_with("/whep") ||
      std::regex_match(req.path, kByocEndpoint))
    res.setHeader("Accept-Post", "application/sdp");
}

}  // namespace cs::http
