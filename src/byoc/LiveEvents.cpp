#include "byoc/LiveEvents.h"

#include <chrono>

#include "util/JsonLimits.h"

namespace cs::live_events {

std::string envelope(std::string_view type, const std::string& streamId, nlohmann::json fields,
                     std::string_view queue) {
  if (!fields.is_object()) fields = nlohmann::json::object();
  fields["type"] = type;
  fields["stream_id"] = streamId;
  fields["timestamp"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  return safeDump({{"event", std::move(fields)}, {"queue_event_type", queue}});
}

}  // namespace cs::live_events
