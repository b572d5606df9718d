#pragma once
// The WebRTC ways into a stream: WHIP (publish), WHEP (view), and the original's /offer (one
// connection that publishes a stream of its own and views its output). Each one reserves its
// role first (conflicts, limits: no workflow is compiled for a request that would be refused),
// prepares the workflow, negotiates the session, and hands it to the registry.
#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "rtc/MediaNetwork.h"
#include "rtc/WebRtcSession.h"
#include "stream/StreamRegistry.h"
#include "util/TaskQueue.h"
#include "workflow/WorkflowService.h"

namespace cs {

class WebRtcGateway {
 public:
  struct Created {
    std::string id;      // the session's resource id (its URL's key)
    std::string answer;  // SDP
  };

  WebRtcGateway(StreamRegistry& registry, WorkflowService& workflows, MediaNetwork network);

  // Control plane; each throws ControlError or WorkflowError with the precise refusal.
  // `clientAddress` (the HTTP peer) is held to --max-pending-per-ip; empty: not limited.
  Created publish(const std::string& streamId, const std::string& workflowName,
                  const std::string& offer, const std::string& clientAddress = {});
  // Publishes with a workflow of its own, warmed up at width × height until real frames
  // arrive (BYOC sessions carry their prompts). `compiled`, when given, is `workflow` compiled
  // already: it is only warmed up.
  Created publishWorkflow(const std::string& streamId, const WorkflowSource& workflow,
                          const std::string& offer, int width, int height,
                          const std::string& clientAddress = {},
                          std::shared_ptr<GraphWorkflow> compiled = nullptr);
  Created subscribe(const std::string& streamId, const std::string& offer,
                    const std::string& clientAddress = {});
  // The original's POST /offer; prompts may be null (its noop mode: passthrough).
  Created offer(const std::string& offer, const nlohmann::json& prompts, int width, int height,
                const std::string& clientAddress = {});

  // The original's POST /prompt for a stream that has no publisher yet: compiles `source` (so a
  // broken workflow is refused now, with its node errors) and keeps it as the workflow of the
  // stream's next publisher that names none (no ?workflow=). Replaces an earlier staged one; at
  // most kMaxStagedWorkflows are kept, the oldest goes first.
  void stageWorkflow(const std::string& streamId, const WorkflowSource& source);
  static constexpr size_t kMaxStagedWorkflows = 64;

  StreamRegistry& registry() { return registry_; }

 private:
  // The staged workflow of `streamId`, taken (a publisher uses it once); nullopt when none.
  std::optional<WorkflowSource> takeStaged(const std::string& streamId);

  StreamRegistry& registry_;
  WorkflowService& workflows_;
  const MediaNetwork network_;
  TaskQueue controlTasks_{"cs:control"};
  const WebRtcContext ctx_{network_, controlTasks_, workflows_};
  struct Staged {
    WorkflowSource source;
    uint64_t order;
  };
  std::mutex stagedMu_;
  std::map<std::string, Staged> staged_;
  uint64_t stagedOrder_ = 0;
};

}  // namespace cs
