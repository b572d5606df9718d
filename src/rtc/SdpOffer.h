#pragma once
// An SDP offer from a WHIP publisher or a WHEP viewer: validation, the codec we take for each
// m-line, and the per-client workarounds webrtcbin 1.22 needs before it sees the offer.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "media/VideoCodec.h"
#include "util/GstPtr.h"

namespace cs {

// Bounds on an offer, checked before GStreamer makes anything of it (docs/security/LIMITS.md).
// Browser offers have a handful of m-lines, ~100 attributes per m-line and lines < 1 KB.
inline constexpr size_t kMaxSdpLineBytes = 4096;
inline constexpr size_t kMaxSdpLines = 4096;
inline constexpr unsigned kMaxSdpMediaSections = 16;
inline constexpr unsigned kMaxSdpAttributes = 512;  // per m-line, and at session level
inline constexpr unsigned kMaxSdpFormats = 64;      // payload types per m-line

// WHIP offers send media, WHEP offers receive it, the original's /offer does both at once.
enum class OfferRole { Publisher, Viewer, Duplex };

struct MediaChoice {
  enum class Kind { Audio, Video } kind;
  unsigned index;  // m-line index
  int payloadType;
  VideoCodec videoCodec{};     // for video
  std::string profileLevelId;  // H264 only, as offered
  CapsPtr caps;                // codec preferences for the transceiver
};

class SdpOffer {
 public:
  // Throws ControlError: BadRequest when the text is not an SDP offer, Unprocessable when an
  // audio/video m-line has no codec we take, or the direction does not fit the role.
  static SdpOffer parse(std::string_view text, OfferRole role);

  const std::vector<MediaChoice>& media() const { return media_; }
  const MediaChoice* video() const;
  const MediaChoice* audio() const;
  // A copy for webrtcbin, with bundle credentials unified (docs/GSTREAMER-NOTES.md §G5).
  SdpMessagePtr messageForWebrtc() const;
  // payload type -> profile-level-id the answer must carry (docs/GSTREAMER-NOTES.md §G6).
  std::map<int, std::string> profileLevelIds() const;

 private:
  SdpMessagePtr msg_;
  std::vector<MediaChoice> media_;
};

// aiortc 1.4 offers BUNDLE with a different ice-ufrag/pwd per m-line, which webrtcbin rejects;
// only the BUNDLE-tag transport is used, so copy its credentials to the other bundled m-lines.
void unifyBundleCredentials(GstSDPMessage* msg);

struct AnswerFixups {
  std::map<int, std::string> profileLevelIds;
  std::string publicIp;  // when set, replaces the address of host candidates
};
// webrtcbin 1.22 drops profile-level-id from answers (docs/GSTREAMER-NOTES.md §G6); behind NAT
// the host candidates must carry the public address (libnice has no 1:1 NAT option, §G4); WHIP
// and WHEP want a=rtcp-mux-only next to every a=rtcp-mux (RFC 9725 §4.4.1).
std::string fixAnswer(std::string_view answer, const AnswerFixups& fixups);

}  // namespace cs
