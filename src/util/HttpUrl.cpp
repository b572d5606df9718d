#include "util/HttpUrl.h"

#include <algorithm>
#include <cctype>

namespace cs {
namespace {

bool fail(std::string* why, const char* text) {
  if (why) *why = text;
  return false;
}

// RFC 3986 §2: printable ASCII only; '#' (a fragment is the client's business) and the
// characters that are never allowed anywhere in a URI.
bool uriCharsOk(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return c > 0x20 && c < 0x7f && c != '"' && c != '<' && c != '>' && c != '\\' && c != '^' &&
           c != '`' && c != '{' && c != '|' && c != '}' && c != '#';
  });
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// reg-name restricted to DNS names (RFC 1123 letters, digits, '-', '.'), or an IPv4 literal,
// which is a DNS-name-shaped string too. No percent-encoding in hosts: it only disguises them.
bool hostOk(std::string_view h) {
  if (h.empty() || h.size() > 253) return false;
  return std::all_of(h.begin(), h.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '.'; });
}

bool ipv6Ok(std::string_view h) {
  if (h.size() < 2 || h.size() > 45) return false;
  return std::all_of(h.begin(), h.end(),
                     [](unsigned char c) { return std::isxdigit(c) || c == ':' || c == '.'; });
}

}  // namespace

std::optional<HttpUrl> HttpUrl::parse(std::string_view text, std::string* why) {
  if (text.size() > kMaxBytes) return fail(why, "the URL is longer than 2048 bytes"), std::nullopt;
  if (!uriCharsOk(text))
    return fail(why,
                "the URL has a character a URL may not hold (space, control, non-ASCII) or a "
                "fragment"),
           std::nullopt;
  const auto colon = text.find("://");
  if (colon == std::string_view::npos)
    return fail(why, "the URL must be absolute: http://… or https://…"), std::nullopt;
  HttpUrl u;
  const std::string scheme = lower(text.substr(0, colon));
  if (scheme == "https")
    u.https = true;
  else if (scheme != "http")
    return fail(why, "the URL's scheme must be http or https"), std::nullopt;
  std::string_view rest = text.substr(colon + 3);
  const auto end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, end);
  std::string_view target = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  if (authority.find('@') != std::string_view::npos)
    return fail(why, "the URL may not carry credentials (user@host); use \"token\""), std::nullopt;
  std::string_view host = authority, port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos)
      return fail(why, "the URL's IPv6 host has no closing ']'"), std::nullopt;
    host = authority.substr(1, close - 1);
    if (!ipv6Ok(host)) return fail(why, "the URL's IPv6 host is malformed"), std::nullopt;
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return fail(why, "junk after the URL's host"), std::nullopt;
      port = after.substr(1);
    }
  } else {
    const auto c = authority.find(':');
    if (c != std::string_view::npos) {
      host = authority.substr(0, c);
      port = authority.substr(c + 1);
    }
    if (!hostOk(host)) return fail(why, "the URL's host is missing or malformed"), std::nullopt;
  }
  u.port = u.https ? 443 : 80;
  if (!port.empty()) {
    if (port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); }))
      return fail(why, "the URL's port is malformed"), std::nullopt;
    const int p = std::stoi(std::string(port));
    if (p < 1 || p > 65535) return fail(why, "the URL's port is out of range"), std::nullopt;
    u.port = static_cast<uint16_t>(p);
  }
  u.host = lower(host);
  u.target = target.empty()
                 ? "/"
                 : (target.front() == '?' ? "/" + std::string(target) : std::string(target));
  return u;
}

std::string HttpUrl::authority() const {
  std::string a;
  a.reserve(host.size() + 8);
  if (ipv6()) a.push_back('[');
  a.append(host);
  if (ipv6()) a.push_back(']');
  if (port != (https ? 443 : 80)) {
    a.push_back(':');
    a.append(std::to_string(port));
  }
  return a;
}

std::string HttpUrl::str() const {
  return std::string(https ? "https://" : "http://") + authority() + target;
}

std::string removeDotSegments(std::string_view in) {
  std::string out;
  std::string input(in);
  size_t i = 0;
  const auto starts = [&](std::string_view p) { return input.compare(i, p.size(), p) == 0; };
  const auto popLast = [&] {
    const auto slash = out.rfind('/');
    out.erase(slash == std::string::npos ? 0 : slash);
  };
  while (i < input.size()) {
    if (starts("../")) {
      i += 3;
    } else if (starts("./")) {
      i += 2;
    } else if (starts("/./")) {
      i += 2;
    } else if (input.compare(i, std::string::npos, "/.") == 0) {
      input.resize(i);  // the rest is "/.": it becomes "/"
      input.push_back('/');
    } else if (starts("/../")) {
      i += 3;
      popLast();
    } else if (input.compare(i, std::string::npos, "/..") == 0) {
      input.resize(i);  // the rest is "/..": it becomes "/"
      input.push_back('/');
      popLast();
    } else if (input.compare(i, std::string::npos, ".") == 0 ||
               input.compare(i, std::string::npos, "..") == 0) {
      i = input.size();
    } else {
      const size_t next = input.find('/', i + 1);
      const size_t n = (next == std::string::npos ? input.size() : next) - i;
      out.append(input, i, n);
      i += n;
    }
  }
  return out;
}

std::optional<HttpUrl> resolveReference(const HttpUrl& base, std::string_view ref) {
  if (ref.size() > HttpUrl::kMaxBytes || !uriCharsOk(ref)) return std::nullopt;
  // A scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" before any '/', '?'.
  const auto colon = ref.find(':');
  const auto firstDelim = ref.find_first_of("/?");
  if (colon != std::string_view::npos && colon > 0 &&
      (firstDelim == std::string_view::npos || colon < firstDelim) &&
      std::isalpha(static_cast<unsigned char>(ref[0])))
    return HttpUrl::parse(ref);
  if (ref.starts_with("//"))
    return HttpUrl::parse(std::string(base.https ? "https:" : "http:") + std::string(ref));
  HttpUrl out = base;
  const auto q = base.target.find('?');
  const std::string basePath = base.target.substr(0, q);
  if (ref.empty()) return out;
  if (ref.front() == '?') {
    out.target = basePath + std::string(ref);
    return out;
  }
  const auto rq = ref.find('?');
  const std::string_view refPath = ref.substr(0, rq);
  const std::string_view refQuery = rq == std::string_view::npos ? "" : ref.substr(rq);
  std::string path;
  if (refPath.front() == '/') {
    path = removeDotSegments(refPath);
  } else {
    // §5.2.3 merge: the base path up to its last '/', then the reference.
    const auto slash = basePath.rfind('/');
    std::string merged =
        slash == std::string::npos ? std::string("/") : basePath.substr(0, slash + 1);
    merged.append(refPath);
    path = removeDotSegments(merged);
  }
  out.target.clear();
  if (path.empty() || path.front() != '/') out.target.push_back('/');
  out.target.append(path);
  out.target.append(refQuery);
  if (out.str().size() > HttpUrl::kMaxBytes) return std::nullopt;
  return out;
}

}  // namespace cs
