#include "rtc/IceServer.h"

#include <stdexcept>

namespace cs {
namespace {

// RFC 8288 §3: link-param values are token or quoted-string (RFC 7230 §3.2.6). Inside a
// quoted-string, '"' and '\\' go as quoted-pairs; control characters (CR, LF, …) cannot be carried
// at all, so they are dropped here (parse() and parseTwilioToken already refuse them: this is the
// last line of defence against header injection).
std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) continue;
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

bool hasControl(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

bool validHostPort(std::string_view hp) {
  if (hp.empty()) return false;
  for (char c : hp)
    if (c <= ' ' || c == '<' || c == '>' || c == '"' || c == ',' || c == ';') return false;
  return true;
}

}  // namespace

bool IceServer::isSafe() const {
  if (hasControl(url) || hasControl(username) || hasControl(credential)) return false;
  // The URL goes between '<' and '>' of a Link header (RFC 8288 §3): no characters that end it.
  for (char c : url)
    if (c == '<' || c == '>' || c == ' ' || c == '"') return false;
  return true;
}

bool IceServer::isTurn() const {
  return url.starts_with("turn:") || url.starts_with("turns:");
}

std::string IceServer::linkHeaderValue() const {
  if (!isSafe()) return {};  // never reached for servers from parse() or parseTwilioToken()
  std::string v = "<" + url + ">; rel=\"ice-server\"";
  if (isTurn() && !username.empty()) {
    v += "; username=" + quoted(username) + "; credential=" + quoted(credential) +
         "; credential-type=\"password\"";
  }
  return v;
}

IceServer IceServer::parse(std::string_view spec) {
  IceServer s;
  if (hasControl(spec))
    throw std::invalid_argument("ICE server: control characters (CR, LF, …) are not allowed");
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
    rest = rest.substr(at + 1);
  }
  if (!validHostPort(rest))
    throw std::invalid_argument("ICE server '" + std::string(spec) + "': bad host");
  s.url = std::string(scheme) + ":" + std::string(rest);
  if (!s.isSafe())
    throw std::invalid_argument("ICE server '" + std::string(spec) + "': characters not allowed");
  return s;
}

}  // namespace cs
