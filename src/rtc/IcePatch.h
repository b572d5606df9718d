#pragma once
// The ICE side of a WHIP or WHEP session resource (RFC 9725 §4.3, WHEP §4.5): its entity-tag,
// and a PATCH with a trickle-ICE fragment (RFC 8840), applied to the session's webrtcbin.
#include <optional>
#include <string>
#include <string_view>

#include "rtc/PeerConnection.h"
#include "stream/StreamRegistry.h"

namespace cs {

enum class IceSessionRole { Publisher, Viewer };

// The current entity-tag of the WebRTC session `id`; nullopt when it names no live one.
std::optional<std::string> iceEtagOf(const StreamRegistry& registry, IceSessionRole role,
                                     const std::string& id);

// Parses `fragment` (bounded, docs/security/LIMITS.md), checks `precondition` against the
// session's entity-tag, and trickles or restarts ICE (PeerConnection::patchIce). Throws
// ControlError: NotFound for no such live session, BadRequest for a malformed fragment, what
// `precondition` throws, Internal for a restart that failed (the session stays).
PeerConnection::IcePatchResult patchSessionIce(const StreamRegistry& registry, IceSessionRole role,
                                               const std::string& id, std::string_view fragment,
                                               const PeerConnection::IcePrecondition& precondition);

}  // namespace cs
