#pragma once
// What a push (a stream sent on to another WHIP server) reports: a typed struct; JSON is written
// only at the HTTP edge. The bearer token is never part of it.
#include <cstdint>
#include <string>
#include <string_view>

namespace cs {

enum class PushState {
  Connecting,  // offering, or the remote answered and ICE/DTLS is not up yet
  Live,        // media flows to the remote server
  Retrying,    // the last attempt failed; the next one is scheduled (exponential back-off)
  Stopped,     // stopped on request or with its stream; the remote session was ended
  Failed,      // the remote refused in a way retrying cannot fix (4xx, a redirect elsewhere)
};

inline std::string_view toString(PushState s) {
  switch (s) {
    case PushState::Connecting:
      return "connecting";
    case PushState::Live:
      return "live";
    case PushState::Retrying:
      return "retrying";
    case PushState::Stopped:
      return "stopped";
    case PushState::Failed:
      return "failed";
  }
  return "?";
}

struct PushStatus {
  std::string id;
  std::string streamId;
  std::string url;  // the WHIP endpoint as given (the token is never echoed)
  PushState state = PushState::Connecting;
  unsigned attempts = 0;  // offers POSTed (or tried), the first included
  std::string lastError;  // why the last attempt failed; empty while none has
  double retryIn = 0;     // seconds until the next attempt, while retrying
  uint64_t framesSent = 0;
  uint64_t framesDropped = 0;  // its queue was full (the remote or the network too slow)
  uint64_t bytesSent = 0;      // encoded video handed to the packetiser
  double startedAt = 0;        // seconds since the Unix epoch
  double liveSince = 0;        // when the current connection came up; 0 unless live
  bool hasAudio = false;
};

}  // namespace cs
