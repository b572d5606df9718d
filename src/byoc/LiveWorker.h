#pragma once
// The Livepeer live-video worker (pytrickle's StreamServer, as ComfyStream runs it on the
// network, docs/LIVEPEER.md): takes streams from an orchestrator over trickle, up to
// --stream-capacity at once, each a LiveStream with its own pipeline. The HTTP routes are in
// http/LiveWorkerResource.
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "byoc/LiveRequest.h"
#include "byoc/LiveSettings.h"
#include "byoc/LiveStream.h"

namespace cs {

class LiveWorker {
 public:
  // pytrickle's states: LOADING (a stream is being set up, none running), IDLE (ready, none
  // running), OK (streams running), ERROR (a stream is ending because of an error).
  enum class Health { Loading, Idle, Ok, Error };
  static std::string_view toString(Health h);

  LiveWorker(StreamRegistry& registry, WorkflowService& workflows, MainLoop& loop,
             LiveSettings settings);
  ~LiveWorker();
  LiveWorker(const LiveWorker&) = delete;
  LiveWorker& operator=(const LiveWorker&) = delete;

  // POST /stream/start: the 200 body. Throws ControlError (409 for an id already running, 503 +
  // Retry-After at capacity) or WorkflowError.
  nlohmann::json start(LiveStartRequest request, const std::string& clientAddress);
  // POST /stream/params. `streamId` from X-Stream-Id; empty: the only running stream. Throws
  // ControlError(BadRequest) with no stream running (as pytrickle) or several and no id,
  // NotFound for an unknown id, or what the update throws.
  nlohmann::json updateParams(const std::string& streamId, const LiveParams& params);
  // POST /stream/stop: ends the stream (its last segment flushed, its channels closed) and
  // answers once it has ended (bounded). Same stream choice as updateParams.
  nlohmann::json stop(const std::string& streamId, const std::string& reason);
  // GET /stream/status.
  nlohmann::json status() const;
  Health health() const;
  const LiveSettings& settings() const { return settings_; }

  // Ends every stream (server shutdown). Not on the main loop.
  void shutdown();

 private:
  std::shared_ptr<LiveStream> choose(const std::string& streamId) const;  // mu_ held

  StreamRegistry& registry_;
  WorkflowService& workflows_;
  MainLoop& loop_;
  const LiveSettings settings_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<LiveStream>> streams_;
  unsigned starting_ = 0;
  bool shutDown_ = false;
  // Handed to each stream's gone handler: a stream that ends after the worker is gone (it
  // cannot, shutdown() waits for them all) would find it expired.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace cs
