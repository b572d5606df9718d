#pragma once
// The HTTP half of a WHIP client (RFC 9725 from the client's side), for pushing a stream to
// another WHIP server: POST the offer, follow 307/308 redirects, take the 201's answer and
// Location; DELETE the session. One-shot requests with cpp-httplib (as the Twilio fetch and the
// BYOC registrar), every one bounded in time and size, and every host it talks to, redirects
// included, checked against --push-allow first. Blocking: call from a worker, never from the
// main loop or a streaming thread.
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

#include "rtc/PushAllowList.h"
#include "util/HttpUrl.h"

namespace cs {

// Why a WHIP request did not give a session. `permanent`: trying again cannot help (the remote
// refused the offer or our credentials, a redirect left the allowed hosts); otherwise the caller
// backs off and retries (connection refused, timeouts, 5xx, 409, 429).
class WhipError : public std::runtime_error {
 public:
  WhipError(const std::string& what, bool permanent, int status = 0,
            std::optional<std::chrono::seconds> retryAfter = std::nullopt)
      : std::runtime_error(what), permanent_(permanent), status_(status), retryAfter_(retryAfter) {}
  bool permanent() const { return permanent_; }
  int status() const { return status_; }  // 0: no HTTP answer
  std::optional<std::chrono::seconds> retryAfter() const { return retryAfter_; }

 private:
  bool permanent_;
  int status_;
  std::optional<std::chrono::seconds> retryAfter_;
};

struct WhipClientSettings {
  std::chrono::milliseconds connectTimeout{3000};
  std::chrono::milliseconds timeout{10000};  // the whole request, redirects included
  size_t maxAnswerBytes = 64 * 1024;
  unsigned maxRedirects = 5;
};

class WhipClient {
 public:
  struct Session {
    std::string answer;  // SDP
    HttpUrl location;    // the session's resource, resolved against the URL that answered 201
  };

  WhipClient(PushAllowList allow, WhipClientSettings settings = {})
      : allow_(std::move(allow)), settings_(settings) {}

  // Throws WhipError.
  Session post(const HttpUrl& endpoint, const std::string& token, const std::string& offer) const;
  // Ends the session (RFC 9725 §4.4). Throws WhipError; a 404 counts as done (already gone).
  void end(const HttpUrl& session, const std::string& token) const;

  // An HTTP Retry-After value (delay-seconds only, RFC 9110 §10.2.3), bounded to a day.
  static std::optional<std::chrono::seconds> parseRetryAfter(const std::string& value);
  // Whether a refusal with this status may succeed later (RFC 9110: 408, 409, 425, 429, 5xx).
  static bool retryable(int status);

 private:
  const PushAllowList allow_;
  const WhipClientSettings settings_;
};

}  // namespace cs
