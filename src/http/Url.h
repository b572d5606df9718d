#pragma once
// The request target's path and query (RFC 3986 §3.3–3.4), percent-decoded and checked: a
// server that echoes or stores these must never see invalid UTF-8 or control characters.
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace cs::http {

// nullopt for a malformed escape, invalid UTF-8 or a control character after decoding.
// In a query, '+' stands for a space (application/x-www-form-urlencoded).
std::optional<std::string> percentDecode(std::string_view in, bool plusIsSpace);

struct Target {
  std::string path;
  std::multimap<std::string, std::string> params;
};
// nullopt with `why` set when the target is not an origin-form path with a well-formed query.
std::optional<Target> parseTarget(std::string_view target, std::string& why);

}  // namespace cs::http
