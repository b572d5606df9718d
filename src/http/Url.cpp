#include "http/Url.h"

#include "util/Utf8.h"

namespace cs::http {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> percentDecode(std::string_view in, bool plusIsSpace) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return std::nullopt;
      const int hi = hexValue(in[i + 1]), lo = hexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plusIsSpace) {
      c = ' ';
    }
    out.push_back(c);
  }
  if (!isValidUtf8(out)) return std::nullopt;
  for (unsigned char c : out)
    if (c < 0x20 || c == 0x7f) return std::nullopt;
  return out;
}

std::optional<Target> parseTarget(std::string_view target, std::string& why) {
  // RFC 9112 §3.2.1: origin-form is what a client sends to an origin server.
  if (target.empty() || target.front() != '/') {
    why = "the request target must be a path";
    return std::nullopt;
  }
  Target t;
  const size_t q = target.find('?');
  auto path = percentDecode(target.substr(0, q), /*plusIsSpace=*/false);
  if (!path) {
    why = "the URL path has a bad percent-escape, invalid UTF-8 or a control character";
    return std::nullopt;
  }
  t.path = std::move(*path);
  if (q == std::string_view::npos) return t;
  std::string_view query = target.substr(q + 1);
  const size_t hash = query.find('#');
  if (hash != std::string_view::npos) query = query.substr(0, hash);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    auto key = percentDecode(pair.substr(0, eq), true);
    auto value = percentDecode(
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!key || !value) {
      why = "the URL query has a bad percent-escape, invalid UTF-8 or a control character";
      return std::nullopt;
    }
    t.params.emplace(std::move(*key), std::move(*value));
  }
  return t;
}

}  // namespace cs::http
