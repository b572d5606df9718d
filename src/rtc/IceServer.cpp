#include "rtc/IceServer.h"

#include <stdexcept>

namespace cs {
namespace {

// RFC 8288 quoted-string: escape the two characters that would end or break it.
std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

// Credentials end up inside a Link header: a control character (CR, LF, NUL, ...) would end or
// split the header, so it is refused here rather than escaped (RFC 8288 has no escape for it).
bool validCredential(std::string_view v) {
  for (unsigned char c : v)
    if (c < 0x20 || c == 0x7f) return false;
  return true;
}

bool validHostPort(std::string_view hp) {
  if (hp.empty()) return false;
  for (char c : hp)
    if (c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == '"' || c == ',' || c == ';')
      return false;
  return true;
}

}  // namespace

bool IceServer::isTurn() const { return url.starts_with("turn:") || url.starts_with("turns:"); }

std::string IceServer::linkHeaderValue() const {
  std::string v = "<" + url + ">; rel=\"ice-server\"";
  if (isTurn() && !username.empty()) {
    v += "; username=" + quoted(username) + "; credential=" + quoted(credential) +
         "; credential-type=\"password\"";
  }
  return v;
}

IceServer IceServer::parse(std::string_view spec) {
  IceServer s;
  const auto colon = spec.find(':');
  if (colon == std::string_view::npos)
    throw std::invalid_argument("ICE server '" + std::string(spec) +
                                "' has no scheme (stun:, turn: or turns:)");
  const std::string_view scheme = spec.substr(0, colon);
  if (scheme != "stun" && scheme != "stuns" && scheme != "turn" && scheme != "turns")
    throw std::invalid_argument("ICE server '" + std::string(spec) + "': unknown scheme '" +
                                std::string(scheme) + "'");
  std::string_view rest = spec.substr(colon + 1);
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    if (!scheme.starts_with("turn"))
      throw std::invalid_argument("ICE server '" + std::string(spec) +
                                  "': credentials are only for turn: and turns:");
    const std::string_view creds = rest.substr(0, at);
    const auto sep = creds.find(':');
    if (sep == std::string_view::npos || sep == 0)
      throw std::invalid_argument("ICE server '" + std::string(spec) +
                                  "': credentials must be user:password@");
    s.username = std::string(creds.substr(0, sep));
    s.credential = std::string(creds.substr(sep + 1));
    if (!validCredential(s.username) || !validCredential(s.credential))
      throw std::invalid_argument("ICE server '" + std::string(spec) +
                                  "': control characters in the credentials");
    rest = rest.substr(at + 1);
  }
  if (!validHostPort(rest))
    throw std::invalid_argument("ICE server '" + std::string(spec) + "': bad host");
  s.url = std::string(scheme) + ":" + std::string(rest);
  return s;
}

}  // namespace cs
