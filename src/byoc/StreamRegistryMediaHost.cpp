#include "byoc/StreamRegistryMediaHost.h"

#include "stream/StreamRegistry.h"
#include "util/ControlError.h"

namespace cs {

MediaHost::Answered StreamRegistryMediaHost::publish(const std::string& streamId,
                                                     const nlohmann::json& prompts,
                                                     const std::string& offer, int width,
                                                     int height) {
  auto created = registry_.publishPrompts(streamId, prompts, offer, width, height);
  return {std::move(created.id), std::move(created.answer)};
}

MediaHost::Answered StreamRegistryMediaHost::view(const std::string& streamId,
                                                  const std::string& offer) {
  auto created = registry_.subscribe(streamId, offer);
  return {std::move(created.id), std::move(created.answer)};
}

bool StreamRegistryMediaHost::endPublisher(const std::string& id) {
  try {
    registry_.unpublish(id);  // from the main loop itself, invokeSync runs the teardown inline
    return true;
  } catch (const ControlError& e) {
    if (e.kind() == ErrorKind::NotFound) return false;
    throw;
  }
}

bool StreamRegistryMediaHost::endViewer(const std::string& id) {
  try {
    registry_.unsubscribe(id);
    return true;
  } catch (const ControlError& e) {
    if (e.kind() == ErrorKind::NotFound) return false;
    throw;
  }
}

std::optional<PublisherStats> StreamRegistryMediaHost::publisherStats(const std::string& id) const {
  return registry_.publisherStats(id);
}

std::optional<ViewerStats> StreamRegistryMediaHost::viewerStats(const std::string& id) const {
  return registry_.viewerStats(id);
}

void StreamRegistryMediaHost::checkWorkflow(const nlohmann::json& prompts, int width, int height) {
  registry_.checkWorkflow(prompts, width, height);
}

}  // namespace cs
