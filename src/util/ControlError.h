#pragma once
// Control-plane failures (HTTP, SDP, JSON, config). Lower layers name the kind of failure; the
// HTTP layer maps each kind to one status code in a single table (http/ErrorResponse.cpp).
// The media path never throws these: it drops, counts and logs.
#include <stdexcept>
#include <string>

namespace cs {

enum class ErrorKind {
  BadRequest,        // malformed input: 400
  UnsupportedMedia,  // wrong Content-Type: 415
  Unprocessable,     // well-formed but unusable (no codec we can take): 422
  NotFound,          // unknown resource: 404
  Conflict,          // e.g. a stream that already has a publisher: 409
  NoPublisher,       // WHEP on a stream with nothing to play: 409 + Retry-After
  Capacity,          // a configured limit reached: 503 + Retry-After
  PayloadTooLarge,   // 413
  Unauthorized,      // no credentials: 401
  InvalidToken,      // credentials that do not grant this: 401 with error="invalid_token"
  Forbidden,         // a valid credential for something else: 403
  TooManyRequests,   // a per-client limit: 429 + Retry-After
  Internal,          // 500
};

class ControlError : public std::runtime_error {
 public:
  ControlError(ErrorKind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}
  // A refusal that knows when it will pass (a busy publisher role frees when the watchdog ends
  // the silent publisher): the seconds the client is told to wait (Retry-After).
  ControlError(ErrorKind kind, const std::string& message, unsigned retryAfterSeconds)
      : std::runtime_error(message), kind_(kind), retryAfter_(retryAfterSeconds) {}
  ErrorKind kind() const { return kind_; }
  // 0: the kind's own default, if it has one.
  unsigned retryAfter() const { return retryAfter_; }

 private:
  ErrorKind kind_;
  unsigned retryAfter_ = 0;
};

}  // namespace cs
