#include "http/Cors.h"

namespace cs::http {

void applyCors(Response& res) {
  res.setHeader("Access-Control-Allow-Origin", "*");
  res.setHeader("Access-Control-Expose-Headers",
                "Location, ETag, Link, Accept-Post, Accept-Patch, Retry-After, WWW-Authenticate, "
                "Content-Range, Content-Disposition, Accept-Ranges");
}

void answerPreflight(Response& res, const std::string& acceptPost) {
  res.status = 204;
  res.setHeader("Access-Control-Allow-Methods", "OPTIONS, GET, HEAD, POST, PATCH, DELETE");
  res.setHeader("Access-Control-Allow-Headers", "Authorization, Content-Type, If-Match, Range");
  res.setHeader("Access-Control-Max-Age", "600");
  // RFC 9725 §4.2: an OPTIONS on the endpoint advertises what POST takes.
  if (!acceptPost.empty()) res.setHeader("Accept-Post", acceptPost);
}

}  // namespace cs::http
