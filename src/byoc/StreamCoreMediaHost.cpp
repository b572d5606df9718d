#include "byoc/StreamCoreMediaHost.h"

#include "rtc/WebRtcGateway.h"
#include "util/ControlError.h"
#include "workflow/WorkflowService.h"

namespace cs {
namespace {

// Ending what has ended already is not an error for BYOC: its sweep and a DELETE may race.
template <typename Fn>
bool endIfPresent(Fn&& end) {
  try {
    end();  // from the main loop itself, the registry's teardown runs inline
    return true;
  } catch (const ControlError& e) {
    if (e.kind() == ErrorKind::NotFound) return false;
    throw;
  }
}

}  // namespace

MediaHost::Answered StreamCoreMediaHost::publish(const std::string& streamId,
                                                 const nlohmann::json& prompts,
                                                 const std::string& offer, int width, int height,
                                                 std::shared_ptr<GraphWorkflow> compiled) {
  auto created = gateway_.publishWorkflow(streamId, WorkflowSource::of("prompts", prompts), offer,
                                          width, height, {}, std::move(compiled));
  return {std::move(created.id), std::move(created.answer)};
}

MediaHost::Answered StreamCoreMediaHost::view(const std::string& streamId,
                                              const std::string& offer) {
  auto created = gateway_.subscribe(streamId, offer);
  return {std::move(created.id), std::move(created.answer)};
}

bool StreamCoreMediaHost::endPublisher(const std::string& id) {
  return endIfPresent([&] { gateway_.registry().endPublisher(id); });
}

bool StreamCoreMediaHost::endViewer(const std::string& id) {
  return endIfPresent([&] { gateway_.registry().endViewer(id); });
}

std::optional<PublisherStats> StreamCoreMediaHost::publisherStats(const std::string& id) const {
  return gateway_.registry().publisherStats(id);
}

std::optional<ViewerStats> StreamCoreMediaHost::viewerStats(const std::string& id) const {
  return gateway_.registry().viewerStats(id);
}

std::shared_ptr<GraphWorkflow> StreamCoreMediaHost::compileWorkflow(const nlohmann::json& prompts,
                                                                    int width, int height) {
  return workflows_.compile(WorkflowSource::of("prompts", prompts), width, height);
}

}  // namespace cs
