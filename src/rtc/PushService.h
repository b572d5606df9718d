#pragma once
// The pushes of every stream (POST /streams/{id}/pushes): each one a WhipPushViewer, a viewer of
// its stream, so it goes through the registry like a WHEP session (--max-viewers, teardown with
// the stream). This service checks a request before anything costly (pushes enabled, the URL,
// the destination allowed by --push-allow, the stream, the per-stream cap), starts pushes,
// answers their status while they run and after they end, and stops them: on request, with
// their stream, and at shutdown. It lives in rtc because a push is a WebRTC transport (a
// webrtcbin offerer and a WHIP client) and uses nothing above rtc.
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "rtc/MediaNetwork.h"
#include "rtc/PushAllowList.h"
#include "rtc/PushStatus.h"
#include "rtc/WhipPushViewer.h"
#include "stream/StreamRegistry.h"
#include "util/MainLoop.h"

namespace cs {

struct PushSettings {
  PushAllowList allow;  // empty: pushes are refused (403)
  unsigned maxPerStream = 8;
  unsigned workerThreads = 4;  // HTTP exchanges and offers; each one is time-bounded
  WhipClientSettings client;
  WhipPushViewer::Options timing;  // url/token/withAudio are per push; the timeouts come from here
};

class PushService {
 public:
  PushService(PushSettings settings, StreamRegistry& registry, MainLoop& loop,
              MediaNetwork network);
  ~PushService();
  PushService(const PushService&) = delete;
  PushService& operator=(const PushService&) = delete;

  // Control plane; each throws ControlError. Forbidden (403): pushes are off, or the URL's host
  // is not in --push-allow; BadRequest: a malformed stream id, URL or token; NotFound: no such
  // stream; Capacity: the per-stream cap or --max-viewers; NoPublisher: nothing to push yet.
  PushStatus start(const std::string& streamId, const std::string& url, const std::string& token,
                   const std::string& clientAddress = {});
  std::optional<PushStatus> status(const std::string& streamId, const std::string& id) const;
  std::vector<PushStatus> list(const std::string& streamId) const;
  bool streamExists(const std::string& streamId) const {
    return registry_.findStream(streamId) != nullptr;
  }
  // Stops it and waits (bounded) until the remote session is DELETEd; the final status.
  // NotFound: no such push of that stream.
  PushStatus stop(const std::string& streamId, const std::string& id);
  // Stops every push (remote sessions DELETEd, bounded) and the workers. Before the registry's
  // shutdown, never on the main loop.
  void shutdown();

  static constexpr size_t kRetainedEnded = 256;
  static constexpr size_t kMaxTokenBytes = 4096;

 private:
  std::shared_ptr<WhipPushViewer> find(const std::string& streamId, const std::string& id) const;
  void end(const std::string& id, const std::string& why);
  void tick();  // main loop

  const PushSettings settings_;
  StreamRegistry& registry_;
  MainLoop& loop_;
  std::shared_ptr<PushRuntime> runtime_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<WhipPushViewer>> pushes_;  // running and retained ended
  std::deque<std::string> endedOrder_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace cs
