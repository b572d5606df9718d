#pragma once
// All streams and their WHIP/WHEP sessions: creation with limits, teardown on the main loop,
// and the liveness watchdog. The HTTP layer talks to this class only.
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <nlohmann/json.hpp>
#include <string>

#include "rtc/MediaNetwork.h"
#include "stream/ControlChannel.h"
#include "stream/SessionStats.h"
#include "stream/Stream.h"
#include "util/BoundedExecutor.h"
#include "util/TaskQueue.h"
#include "workflow/ModelStore.h"
#include "workflow/WorkflowLibrary.h"
#include "util/MainLoop.h"

namespace cs {

struct RegistrySettings {
  MediaNetwork network;
  unsigned maxStreams = 16;
  unsigned maxViewers = 64;
  unsigned videoBitrate = 2'000'000;
  std::chrono::milliseconds silenceTimeout{10'000};
  // Sessions from one client address whose media has not connected yet: answered offers that
  // never connect would otherwise hold stream and viewer capacity for the silence timeout.
  unsigned maxPendingPerAddress = 8;
  std::string workspace;
  // What a workflow may allocate (--max-image-size, --max-image-pixels, --max-batch,
  // --max-model-size).
  WorkflowLimits limits;
  // Compiling (models load here) and warming up a workflow run on `warmupThreads` dedicated
  // threads, at most `warmupQueue` waiting; the HTTP thread waits up to warmupTimeout
  // (--warmup-timeout), then answers 503 and the late result is discarded.
  std::chrono::milliseconds warmupTimeout{15'000};
  unsigned warmupThreads = 2;
  size_t warmupQueue = 8;
};

// Stream ids come from clients (query strings, BYOC bodies): 1-256 bytes of UTF-8 with no control
// character. Anything else is refused (400) before it reaches a log line or a stats answer.
inline constexpr size_t kMaxStreamIdBytes = 256;
// Throws ControlError(BadRequest) for an id that is not a safe identifier.
void validateStreamId(const std::string& streamId);

class StreamRegistry {
 public:
  struct Created {
    std::string id;
    std::string answer;
  };

  StreamRegistry(RegistrySettings settings, MainLoop& loop);
  ~StreamRegistry();

  // Control plane; each throws ControlError with the precise kind of failure.
  // `clientAddress` (the HTTP peer) is held to --max-pending-per-ip; empty: not limited.
  Created publish(const std::string& streamId, const std::string& workflow,
                  const std::string& offer, const std::string& clientAddress = {});
  // Publishes with a workflow given as JSON (one ComfyUI API-format workflow or a list), warmed
  // up at width × height until real frames arrive (BYOC sessions carry their own prompts).
  Created publishPrompts(const std::string& streamId, const nlohmann::json& prompts,
                         const std::string& offer, int width, int height);
  Created subscribe(const std::string& streamId, const std::string& offer,
                    const std::string& clientAddress = {});
  // The original's POST /offer: one sendrecv connection publishes to a stream of its own (named
  // after the session) and views that stream's processed output. prompts may be null (the
  // original's noop mode: passthrough). Returns the answer.
  Created offer(const std::string& offer, const nlohmann::json& prompts, int width, int height,
                const std::string& clientAddress = {});
  void unpublish(const std::string& id);
  void unsubscribe(const std::string& id);
  // The stream a WHIP (WHEP) session belongs to; nullopt for an unknown session.
  std::optional<std::string> publisherStream(const std::string& id) const;
  std::optional<std::string> viewerStream(const std::string& id) const;

  // The original's POST /prompt, for one stream: validate, warm up, swap. Throws ControlError
  // (NotFound: no such stream) or WorkflowError (the workflow is refused; the old one runs on).
  void applyPrompts(const std::string& streamId, const nlohmann::json& prompts);
  // Compiles prompts (models load) on the warm-up executor under the same deadline, without
  // warm-up, and discards the result: for jobs that refuse a broken workflow up front. Throws
  // WorkflowError or ControlError.
  void checkWorkflow(const nlohmann::json& prompts, int width, int height);
  std::shared_ptr<Stream> findStream(const std::string& streamId) const;
  nlohmann::json streamsStats() const;

  // What compiling a workflow needs: the process's model store (shared, so graphs share loaded
  // models) and the size to warm up at.
  NodeContext nodeContext(int width = 512, int height = 512);

  nlohmann::json whipStats() const;
  nlohmann::json whepStats() const;
  // One session's figures; nullopt once it has ended (or never existed).
  std::optional<PublisherStats> publisherStats(const std::string& id) const;
  std::optional<ViewerStats> viewerStats(const std::string& id) const;

  // Stops every session and stream (on the main loop). Called once at shutdown.
  void shutdown();

 private:
  using WorkflowBuilder = std::function<std::shared_ptr<GraphWorkflow>(NodeContext&)>;
  Created publishWorkflow(const std::string& streamId, const std::string& workflowName,
                          const WorkflowBuilder& build, const SdpOffer& offer, int width,
                          int height, const std::string& clientAddress = {});
  // Throws ControlError(TooManyRequests) when `clientAddress` has too many unconnected sessions.
  void checkPending(const std::string& clientAddress) const;
  // Compiles (build) and warms up a workflow for `stream` on the warm-up executor; waits up to
  // the deadline. Throws what build throws, or ControlError(Capacity) when the executor is full
  // or the deadline passes (the late workflow is then discarded, never installed).
  std::shared_ptr<GraphWorkflow> prepareWorkflow(const WorkflowBuilder& build, NodeContext ctx,
                                                 const std::shared_ptr<Stream>& stream,
                                                 const std::string& what);
  bool removePublisher(const std::string& id, const char* reason);  // main loop
  bool removeViewer(const std::string& id, const char* reason);     // main loop
  void sweep();                                                     // main loop
  // What a session's control channel uses for update_prompts: prepareWorkflow, so data-channel
  // updates get the same executor, queue bound and deadline as HTTP ones.
  ControlChannel::Preparer controlPreparer();
  std::shared_ptr<Stream> findOrCreateStreamLocked(const std::string& streamId);
  void dropStreamIfEmptyLocked(const std::shared_ptr<Stream>& s,
                               std::vector<std::shared_ptr<Stream>>& retired);

  const RegistrySettings settings_;
  MainLoop& loop_;
  WorkflowLibrary workflows_;
  ModelStore models_;
  // Before controlTasks_: control tasks use it, so it must outlive them.
  BoundedExecutor warmups_;
  TaskQueue controlTasks_{"cs:control"};
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Stream>> streams_;
  std::map<std::string, std::shared_ptr<Publisher>> publishers_;
  std::map<std::string, std::shared_ptr<Viewer>> viewers_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace cs
