#include "util/EntityTag.h"

#include "util/RandomId.h"

namespace cs {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string newStrongEtag() {
  const std::string id = newRandomId();
  std::string tag;
  tag.reserve(id.size() + 2);
  tag.push_back('"');
  tag.append(id);
  tag.push_back('"');
  return tag;
}

IfMatchResult evaluateIfMatch(const std::optional<std::string>& header, std::string_view current) {
  if (!header) return IfMatchResult::Missing;
  std::string_view rest = *header;
  // A list of tags (or the wildcard); a quoted tag holds no comma (etagc excludes only DQUOTE, but
  // a comma inside one of our tags never occurs, and a foreign tag with one cannot match ours).
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string_view item = trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    if (item == "*" || item == "\"*\"") return IfMatchResult::Matches;
    if (!current.empty() && item == current) return IfMatchResult::Matches;
  }
  return IfMatchResult::Fails;
}

}  // namespace cs
