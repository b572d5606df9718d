#pragma once
// What a push's offer says about its H.264 that webrtcbin leaves out. webrtcbin 1.22 cannot have
// profile-level-id in the transceiver's codec preferences (it matches it as a string against the
// encoder's and fails negotiation, docs/GSTREAMER-NOTES.md §G6), so its offer has none; but
// without it RFC 6184 §8.1 reads the offer as Baseline level 1.0, and some WHIP servers refuse
// it (pion, under MediaMTX and others, matches H.264 by profile-level-id). The stream's encoder
// makes constrained baseline (x264, profile=constrained-baseline), so the offer sent to the
// remote says 42e01f, with level-asymmetry-allowed=1 (the level is what each side receives).
#include <string>
#include <string_view>

namespace cs {

inline constexpr const char* kPushH264ProfileLevelId = "42e01f";

// The SDP with "profile-level-id" and "level-asymmetry-allowed" added to the a=fmtp line of
// `payloadType` (left alone where it has them already). Line endings are kept.
std::string announceH264Profile(std::string_view sdp, int payloadType);

}  // namespace cs
