#pragma once
// BYOC's MediaHost over the StreamRegistry: one call each, NotFound on ending turned into false.
#include "byoc/MediaHost.h"

namespace cs {

class StreamRegistry;

class StreamRegistryMediaHost final : public MediaHost {
 public:
  explicit StreamRegistryMediaHost(StreamRegistry& registry) : registry_(registry) {}

  Answered publish(const std::string& streamId, const nlohmann::json& prompts,
                   const std::string& offer, int width, int height) override;
  Answered view(const std::string& streamId, const std::string& offer) override;
  bool endPublisher(const std::string& id) override;
  bool endViewer(const std::string& id) override;
  std::optional<PublisherStats> publisherStats(const std::string& id) const override;
  std::optional<ViewerStats> viewerStats(const std::string& id) const override;
  void checkWorkflow(const nlohmann::json& prompts, int width, int height) override;

 private:
  StreamRegistry& registry_;
};

}  // namespace cs
