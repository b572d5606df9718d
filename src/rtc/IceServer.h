#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace cs {

// A STUN/TURN server the server advertises to its clients (RFC 9725 §4.6). The server itself
// gathers host candidates only.
struct IceServer {
  std::string url;  // stun:host:port, turn:host:port[?transport=udp], turns:...
  std::string username;
  std::string credential;

  bool isTurn() const;
  // No control characters anywhere and nothing in the URL that would end its <…> in a Link
  // header: what may be advertised.
  bool isSafe() const;
  // `<url>; rel="ice-server"` plus the TURN credential attributes (RFC 8288 quoted-strings).
  // Empty for a server that is not isSafe().
  std::string linkHeaderValue() const;

  // Parses the --ice-server flag: stun:host[:port] | turn[s]:[user:pass@]host[:port][?query].
  // Throws std::invalid_argument with a one-line reason.
  static IceServer parse(std::string_view spec);
};

}  // namespace cs
