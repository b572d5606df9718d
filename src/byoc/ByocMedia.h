#pragma once
// TEMPORARY (issue 8, while the BYOC port is rewritten): the stream core's calls BYOC makes,
// in the shape it made them before the core was redesigned.
#include <nlohmann/json.hpp>

#include "rtc/WebRtcGateway.h"
#include "workflow/WorkflowService.h"

namespace cs {

struct ByocMedia {
  WebRtcGateway& gateway;
  WorkflowService& workflows;

  using Created = WebRtcGateway::Created;
  Created publishPrompts(const std::string& streamId, const nlohmann::json& prompts,
                         const std::string& offer, int width, int height) {
    return gateway.publishWorkflow(streamId, WorkflowSource::of("prompts", prompts), offer, width,
                                   height);
  }
  Created subscribe(const std::string& streamId, const std::string& offer) {
    return gateway.subscribe(streamId, offer);
  }
  void unpublish(const std::string& id) { gateway.registry().endPublisher(id); }
  void unsubscribe(const std::string& id) { gateway.registry().endViewer(id); }
  void checkWorkflow(const nlohmann::json& prompts, int width, int height) {
    workflows.compile(WorkflowSource::of("check", prompts), width, height);
  }
  nlohmann::json whipStats() const {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& p : gateway.registry().publishers())
      out[p.info.id] = {{"frames_received", p.framesReceived},
                        {"connection_state", std::string(toString(p.state))}};
    return out;
  }
  nlohmann::json whepStats() const {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& v : gateway.registry().viewers())
      out[v.info.id] = {{"frames_sent", v.framesSent},
                        {"connection_state", std::string(toString(v.state))}};
    return out;
  }
};

}  // namespace cs
