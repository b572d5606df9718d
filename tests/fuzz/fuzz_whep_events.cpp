// The body of a POST to a WHEP session's server-sent-events URL: a JSON array of event types.
// Only ControlError may leave the parser (anything else would be a 500), and what it accepts is
// a subset of what the 201 advertises. The first byte picks the Content-Type, so both the JSON
// path and the media-type check are reached.
#include "FuzzSupport.h"
#include "http/WhepEventTypes.h"
#include "util/ControlError.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  cs::fuzz::init();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static constexpr const char* kTypes[] = {"application/json", "application/json; charset=utf-8",
                                           "text/plain", ""};
  const char* contentType = size > 0 ? kTypes[data[0] % 4] : kTypes[0];
  const std::string body(cs::fuzz::text(size > 0 ? data + 1 : data, size > 0 ? size - 1 : 0));
  unsigned types = 0;
  try {
    types = cs::parseWhepEventTypes(contentType, body);
  } catch (const cs::ControlError&) {
    return 0;
  }
  if (types & ~cs::kWhepEventsAll) cs::fuzz::fail("accepted an event type never advertised");
  return 0;
}
