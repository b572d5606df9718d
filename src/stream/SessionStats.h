#pragma once
// What a stream's publisher and viewers report about themselves, as plain values: the HTTP edge
// turns them into JSON, BYOC reads them to follow its sessions' media.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "media/VideoCodec.h"

namespace cs {

// A session's media connection, in WebRTC's words (RTCPeerConnectionState); transports without
// a handshake (a recorder) are Connected while they run and Closed after.
enum class ConnectionState { New, Connecting, Connected, Disconnected, Failed, Closed };

inline std::string_view toString(ConnectionState s) {
  switch (s) {
    case ConnectionState::New:
      return "new";
    case ConnectionState::Connecting:
      return "connecting";
    case ConnectionState::Connected:
      return "connected";
    case ConnectionState::Disconnected:
      return "disconnected";
    case ConnectionState::Failed:
      return "failed";
    case ConnectionState::Closed:
      return "closed";
  }
  return "unknown";
}

// What a viewer is, for /metrics: a WHEP peer (also the sending half of an /offer), a recording
// (record/Recorder), a push of the stream to another WHIP server, or a Livepeer trickle output
// channel (trickle/TrickleEgress).
enum class ViewerKind { Whep, Recording, Push, Trickle };

inline std::string_view toString(ViewerKind k) {
  switch (k) {
    case ViewerKind::Whep:
      return "whep";
    case ViewerKind::Recording:
      return "recording";
    case ViewerKind::Push:
      return "push";
    case ViewerKind::Trickle:
      return "trickle";
  }
  return "unknown";
}

// Who a session is, fixed when it is created.
struct SessionInfo {
  std::string id;  // the session URL's key: never listed (publicIdOf() is)
  std::string streamId;
  double createdAt = 0;       // seconds since the Unix epoch
  std::string clientAddress;  // the HTTP peer that created it (--max-pending-per-ip)
  // The other half of an original-style /offer connection (a publisher and a viewer at once).
  std::string pairedId;
};

struct PublisherStats {
  SessionInfo info;
  ConnectionState state = ConnectionState::New;
  std::string workflow;  // the name it was published with
  std::optional<VideoCodec> videoCodec;
  bool hasAudio = false;
  uint64_t framesReceived = 0;  // decoded frames handed to the stream
  // Through its ICE transport (DTLS, SRTP, SRTCP datagrams; not STUN, not IP/UDP headers).
  uint64_t bytesSent = 0, bytesReceived = 0;
};

struct ViewerStats {
  SessionInfo info;
  ConnectionState state = ConnectionState::New;
  std::optional<VideoCodec> videoCodec;
  bool hasAudio = false;
  uint64_t framesSent = 0;
  uint64_t framesDropped = 0;  // its own queue was full: it fell behind, the others did not
  ViewerKind kind = ViewerKind::Whep;
  // Through its network transport, as PublisherStats; 0 for a recording. The two halves of an
  // /offer connection report the same transport.
  uint64_t bytesSent = 0, bytesReceived = 0;
};

}  // namespace cs
