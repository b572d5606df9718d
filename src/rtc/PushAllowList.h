#pragma once
// Where the server may push streams (--push-allow): the guard against server-side request
// forgery. A push makes this server an HTTP client (and a WebRTC peer) of a URL an API client
// chose; without a list naming the destinations, that is a way into whatever this host can reach
// (cloud metadata at 169.254.169.254, admin ports on localhost, the internal network). See
// docs/SECURITY.md, "Pushes".
//
// A pattern is a host, optionally with a port: "media.example.com", "10.0.0.7:8889",
// "[::1]:8080", "*.cdn.example.net" (any name under that domain, not the domain itself), or "*"
// (any host: an explicit choice to trust every API client with the network). Hosts are matched
// as written in the URL, case-insensitively; names are not resolved (see SECURITY.md on DNS).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/HttpUrl.h"

namespace cs {

class PushAllowList {
 public:
  PushAllowList() = default;  // empty: pushes are off
  // Comma-separated patterns. Throws std::invalid_argument naming the pattern that is wrong.
  static PushAllowList parse(const std::string& text);

  bool empty() const { return patterns_.empty(); }
  bool allows(const HttpUrl& url) const;

 private:
  struct Pattern {
    std::string host;  // lower case; "*" any; "*.x" a suffix
    std::optional<uint16_t> port;
  };
  std::vector<Pattern> patterns_;
};

}  // namespace cs
