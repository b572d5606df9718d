#include "rtc/PushAllowList.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace cs {

PushAllowList PushAllowList::parse(const std::string& text) {
  PushAllowList list;
  std::istringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (item.empty()) continue;
    if (item == "*") {
      list.patterns_.push_back({"*", std::nullopt});
      continue;
    }
    // The pattern is checked as a URL's authority, so it means exactly what a URL's host means.
    std::string host = item;
    const bool wildcard = host.starts_with("*.");
    if (wildcard) host = host.substr(2);
    std::string why;
    const auto u = host.find_first_of("/?") == std::string::npos
                       ? HttpUrl::parse("http://" + host + "/", &why)
                       : std::nullopt;
    if (!u || (wildcard && u->ipv6()))
      throw std::invalid_argument("--push-allow: '" + item + "' is not a host[:port] pattern" +
                                  (why.empty() ? "" : " (" + why + ")"));
    const bool hasPort =
        u->ipv6() ? host.find("]:") != std::string::npos : host.find(':') != std::string::npos;
    list.patterns_.push_back({(wildcard ? "*." : "") + u->host,
                              hasPort ? std::optional<uint16_t>(u->port) : std::nullopt});
  }
  return list;
}

bool PushAllowList::allows(const HttpUrl& url) const {
  return std::any_of(patterns_.begin(), patterns_.end(), [&](const Pattern& p) {
    if (p.port && *p.port != url.port) return false;
    if (p.host == "*") return true;
    if (p.host.starts_with("*.")) {
      // "*.example.com" matches a.example.com and a.b.example.com, never example.com itself nor
      // evilexample.com.
      const std::string suffix = p.host.substr(1);
      return !url.ipv6() && url.host.size() > suffix.size() && url.host.ends_with(suffix);
    }
    return p.host == url.host;
  });
}

}  // namespace cs
