#pragma once
// An http(s) URL the server itself connects to (a WHIP endpoint it pushes a stream to): parsed
// strictly, and resolved the way RFC 3986 §5.2 resolves a reference (a WHIP Location, a 307
// redirect) against the URL it came from. The URL comes from an API client, so anything odd is
// refused rather than guessed at: userinfo (RFC 3986 §3.2.1, deprecated, and a classic way to
// disguise a host), fragments, whitespace, control or non-ASCII characters, more than kMaxBytes.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cs {

struct HttpUrl {
  static constexpr size_t kMaxBytes = 2048;

  bool https = false;
  std::string host;  // lower case; an IPv6 literal without its brackets
  uint16_t port = 0;
  std::string target;  // path and query, never empty ("/" at least)

  // nullopt with `why` set for anything but an absolute http(s) URL as described above.
  static std::optional<HttpUrl> parse(std::string_view text, std::string* why = nullptr);

  bool ipv6() const { return host.find(':') != std::string::npos; }
  // "host" or "host:port" (port left out when it is the scheme's default), brackets around IPv6.
  std::string authority() const;
  std::string str() const;
};

// RFC 3986 §5.2.2 (strict): `reference` (absolute, network-path "//h/p", absolute-path "/p",
// relative-path "p", query "?q", or empty) against `base`. nullopt when the reference is
// malformed, or resolves to something HttpUrl::parse refuses (another scheme, userinfo, …).
std::optional<HttpUrl> resolveReference(const HttpUrl& base, std::string_view reference);

// RFC 3986 §5.2.4.
std::string removeDotSegments(std::string_view path);

}  // namespace cs
