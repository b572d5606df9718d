#pragma once
// A trickle-ICE SDP fragment (RFC 8840 §9, media type application/trickle-ice-sdpfrag): what a
// WHIP/WHEP client PATCHes to its session (RFC 9725 §4.3, WHEP §4.5) — its ICE credentials, its
// candidates, end-of-candidates — and what the server answers to an ICE restart.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cs {

// Bounds, checked before anything else looks at the text (docs/security/LIMITS.md). A browser's
// fragment is a few hundred bytes: credentials, one m-line, a handful of candidates.
inline constexpr size_t kMaxIceFragmentBytes = 16 * 1024;
inline constexpr size_t kMaxIceFragmentLines = 256;
inline constexpr size_t kMaxIceFragmentLineBytes = 1024;
inline constexpr size_t kMaxIceFragmentMedia = 16;

struct IceFragment {
  struct Media {
    std::string mid;                   // a=mid; empty when the fragment names none
    std::optional<std::string> ufrag;  // media-level a=ice-ufrag / a=ice-pwd
    std::optional<std::string> pwd;
    // The candidates this server can use, as "candidate:…" (RFC 8839 §5.1), in order.
    std::vector<std::string> candidates;
    bool endOfCandidates = false;
  };

  std::optional<std::string> ufrag;  // session-level credentials
  std::optional<std::string> pwd;
  std::vector<std::string> iceOptions;  // a=ice-options tokens
  bool iceLite = false;
  bool endOfCandidates = false;  // at session level: for every m-line
  // Candidates before any m= line are kept as a media section with no mid.
  std::vector<Media> media;
  // Candidates silently left out (RFC 9725 §4.3.2): transports other than UDP (ICE-TCP is off,
  // docs/GSTREAMER-NOTES.md §G4), addresses that are not IP literals (nothing is resolved for
  // a client: no DNS or mDNS lookups on its say-so), RTCP components (rtcp-mux only), port 0.
  unsigned discarded = 0;

  // The credentials the fragment speaks for: the first m-line's own, else the session-level
  // ones (RFC 8840 §4.4 allows either).
  std::optional<std::string> effectiveUfrag() const;
  std::optional<std::string> effectivePwd() const;

  // Throws ControlError(BadRequest) for text that is not a fragment: over the bounds, control
  // characters, a line that is not "x=value", malformed credentials (RFC 8839 §5.4) or a
  // malformed a=candidate line (RFC 8839 §5.1).
  static IceFragment parse(std::string_view text);
};

// The fragment a server answers an ICE restart with (RFC 9725 §4.3.3): its new credentials, the
// same ice-options and ice-lite as its answer, and its candidates for the bundle's m-line.
std::string formatIceFragment(const std::string& ufrag, const std::string& pwd,
                              const std::vector<std::string>& iceOptions, bool iceLite,
                              const std::string& mediaKind, const std::string& mid,
                              const std::vector<std::string>& candidates);

}  // namespace cs
