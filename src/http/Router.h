#pragma once
// Method + path-regex routing. HEAD falls back to the GET route (RFC 9110 §9.3.2); a path that
// some route knows under another method is 405 with Allow, anything else 404. A POST route may
// name the media types it takes, which a CORS preflight on its path advertises as Accept-Post.
#include <cstdint>
#include <functional>
#include <regex>
#include <string>
#include <vector>

#include "http/Request.h"
#include "http/Response.h"

namespace cs::http {

using Handler = std::function<void(const Request&, Response&)>;

// Where a handler runs. Worker: on the bounded handler pool (it may block: SDP negotiation,
// workflow compilation). Inline: on the I/O thread — only for answers that cost microseconds and
// must stay available when every worker is busy (health, stats of counters).
enum class Dispatch { Worker, Inline };

class Router {
 public:
  void add(std::string method, const std::string& pattern, Handler handler,
           Dispatch dispatch = Dispatch::Worker, std::string accepts = {});
  void get(const std::string& p, Handler h, Dispatch d = Dispatch::Worker) { add("GET", p, h, d); }
  // `accepts`: the media types the POST takes ("application/sdp"), for Accept-Post.
  void post(const std::string& p, Handler h, std::string accepts = {}) {
    add("POST", p, std::move(h), Dispatch::Worker, std::move(accepts));
  }
  void patch(const std::string& p, Handler h) { add("PATCH", p, std::move(h)); }
  void put(const std::string& p, Handler h) { add("PUT", p, std::move(h)); }
  void del(const std::string& p, Handler h) { add("DELETE", p, std::move(h)); }
  // A POST whose body is streamed to a file (Request::bodyFile) instead of memory, up to
  // `maxBytes` rather than the server's body cap (large uploads: clips).
  // `admit` runs on the request's head, before any of the body is read, and throws ControlError
  // to refuse it: a client the route would refuse anyway (no token) never gets to fill the disk.
  using Admission = std::function<void(const Request& head)>;
  void upload(const std::string& p, Handler h, uint64_t maxBytes, std::string accepts = {},
              Admission admit = {});
  // The admission of the upload route for method + path; null when none.
  const Admission* uploadAdmission(const std::string& method, const std::string& path) const;
  // The file-body cap of the route for method + path; 0 when it takes its body in memory.
  uint64_t uploadLimit(const std::string& method, const std::string& path) const;
  // The largest of them (the parser's limit until the route is known).
  uint64_t maxUploadLimit() const;

  // Served for GET/HEAD paths no route matches (the browser UI's files); returns false for 404.
  void setFallback(std::function<bool(const Request&, Response&)> fallback);

  struct Match {
    const Handler* handler = nullptr;  // null: see status
    Dispatch dispatch = Dispatch::Worker;
    std::vector<std::string> groups;
    int status = 0;     // 404 or 405 when handler is null
    std::string allow;  // for 405
  };
  Match find(const std::string& method, const std::string& path) const;
  // What the POST route for `path` declared it takes; empty when it declared nothing or there
  // is none. (RFC 9725 §4.2: an OPTIONS on a WHIP endpoint names it in Accept-Post.)
  std::string acceptPost(const std::string& path) const;
  bool fallback(const Request& req, Response& res) const;

 private:
  struct Route {
    std::string method;
    std::regex pattern;
    Handler handler;
    Dispatch dispatch;
    std::string accepts;
    uint64_t uploadLimit = 0;
    Admission admit{};
  };
  std::vector<Route> routes_;
  std::function<bool(const Request&, Response&)> fallback_;
};

}  // namespace cs::http
