#include "util/JsonLimits.h"

#include <vector>

#include "util/ControlError.h"
#include "util/LogEscape.h"

namespace cs {
namespace {

struct TooDeep {};

}  // namespace

nlohmann::json parseJsonBounded(std::string_view text, size_t maxDepth, size_t maxBytes) {
  if (text.size() > maxBytes)
    throw ControlError(ErrorKind::PayloadTooLarge,
                       "JSON document of " + std::to_string(text.size()) +
                           " bytes is over the limit of " + std::to_string(maxBytes));
  // depth is the number of containers around the event: a container opening at depth d is
  // the (d+1)-th level.
  const auto limit = [maxDepth](int depth, nlohmann::json::parse_event_t event, nlohmann::json&) {
    if ((event == nlohmann::json::parse_event_t::object_start ||
         event == nlohmann::json::parse_event_t::array_start) &&
        static_cast<size_t>(depth) >= maxDepth)
      throw TooDeep{};
    return true;
  };
  try {
    return nlohmann::json::parse(text.begin(), text.end(), limit);
  } catch (const TooDeep&) {
    throw ControlError(ErrorKind::BadRequest,
                       "invalid JSON: nested deeper than " + std::to_string(maxDepth) + " levels");
  } catch (const nlohmann::json::exception& e) {
    // nlohmann quotes the bytes it last read, which may be invalid UTF-8 or control characters.
    throw ControlError(ErrorKind::BadRequest, "invalid JSON: " + logSafe(e.what(), 300));
  }
}

size_t jsonDepth(const nlohmann::json& j, size_t limit) {
  size_t deepest = 0;
  std::vector<std::pair<const nlohmann::json*, size_t>> stack{{&j, 0}};
  while (!stack.empty()) {
    const auto [v, d] = stack.back();
    stack.pop_back();
    if (!v->is_structured()) continue;
    const size_t level = d + 1;
    if (level > deepest) deepest = level;
    if (deepest > limit) return deepest;
    for (const auto& child : *v) stack.emplace_back(&child, level);
  }
  return deepest;
}

std::string safeDump(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace cs
