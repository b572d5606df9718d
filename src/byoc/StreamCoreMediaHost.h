#pragma once
// BYOC's MediaHost over the stream core: WebRTC sessions through the gateway, figures from the
// registry, workflows from the workflow service. One call each; NotFound on ending is false.
#include "byoc/MediaHost.h"

namespace cs {

class WebRtcGateway;
class WorkflowService;

class StreamCoreMediaHost final : public MediaHost {
 public:
  StreamCoreMediaHost(WebRtcGateway& gateway, WorkflowService& workflows)
      : gateway_(gateway), workflows_(workflows) {}

  Answered publish(const std::string& streamId, const nlohmann::json& prompts,
                   const std::string& offer, int width, int height,
                   std::shared_ptr<GraphWorkflow> compiled) override;
  Answered view(const std::string& streamId, const std::string& offer) override;
  bool endPublisher(const std::string& id) override;
  bool endViewer(const std::string& id) override;
  std::optional<PublisherStats> publisherStats(const std::string& id) const override;
  std::optional<ViewerStats> viewerStats(const std::string& id) const override;
  std::shared_ptr<GraphWorkflow> compileWorkflow(const nlohmann::json& prompts, int width,
                                                 int height) override;

 private:
  WebRtcGateway& gateway_;
  WorkflowService& workflows_;
};

}  // namespace cs
