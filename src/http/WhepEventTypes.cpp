#include "http/WhepEventTypes.h"

#include "http/ErrorResponse.h"
#include "util/ControlError.h"
#include "util/LogEscape.h"

namespace cs {

const char* whepEventName(WhepEvent e) {
  switch (e) {
    case kWhepEventActive:
      return "active";
    case kWhepEventInactive:
      return "inactive";
    case kWhepEventViewerCount:
      return "viewercount";
  }
  return "";
}

unsigned parseWhepEventTypes(std::string_view contentType, const std::string& body) {
  if (body.size() > kMaxWhepEventsBody)
    throw ControlError(ErrorKind::PayloadTooLarge,
                       "an event list is at most " + std::to_string(kMaxWhepEventsBody) + " bytes");
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return kWhepEventsAll;
  if (mediaTypeOf(std::string(contentType)) != "application/json")
    throw ControlError(ErrorKind::UnsupportedMedia, "Content-Type required: application/json");
  const nlohmann::json list = parseJsonBody(body);
  if (!list.is_array())
    throw ControlError(ErrorKind::BadRequest, "the body must be a JSON array of event types");
  if (list.size() > kMaxWhepEventsListed)
    throw ControlError(ErrorKind::BadRequest, "at most " + std::to_string(kMaxWhepEventsListed) +
                                                  " event types may be listed");
  unsigned types = 0;
  for (const auto& item : list) {
    if (!item.is_string()) throw ControlError(ErrorKind::BadRequest, "event types are strings");
    const auto& name = item.get_ref<const std::string&>();
    unsigned found = 0;
    for (WhepEvent e : {kWhepEventActive, kWhepEventInactive, kWhepEventViewerCount})
      if (name == whepEventName(e)) found = e;
    // The draft: an unsupported or unadvertised type is refused with 400, and nothing is made.
    if (!found)
      throw ControlError(ErrorKind::BadRequest,
                         "unsupported event type '" + logSafe(name, 64) +
                             "'; this server sends active, inactive and viewercount");
    types |= found;
  }
  return types;
}

std::string whepEventsLink(const std::string& sessionId) {
  return "</whep/" + sessionId + "/sse>; rel=\"" + std::string(kWhepEventsRel) +
         "\"; events=\"active,inactive,viewercount\"";
}

}  // namespace cs
