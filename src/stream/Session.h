#pragma once
// What a stream's publisher and its viewers have in common, whatever their transport: who they
// are, whether their peer is still there, and how they are stopped.
#include <chrono>
#include <functional>
#include <mutex>
#include <string>

#include "stream/SessionStats.h"

namespace cs {

class Session {
 public:
  // Told, once, that the session's transport has ended by itself (a failed connection, a file
  // write error). Any thread; must not block.
  using EndHandler = std::function<void(const std::string& reason)>;

  explicit Session(SessionInfo info) : info_(std::move(info)) {}
  virtual ~Session() = default;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const SessionInfo& info() const { return info_; }
  const std::string& id() const { return info_.id; }
  const std::string& streamId() const { return info_.streamId; }

  virtual ConnectionState state() const = 0;
  // When the peer was last heard from. WebRTC in GStreamer 1.22 has no ICE consent freshness
  // (docs/GSTREAMER-NOTES.md), so a peer that vanished is only noticed by its silence.
  virtual std::chrono::steady_clock::time_point lastActivity() const = 0;
  // Releases the transport; idempotent. Main loop only: pipelines are never stopped from their
  // own streaming threads.
  virtual void stop() = 0;

  // The registry's handler; an end reported before the handler is set is delivered on setting.
  void onEnded(EndHandler handler) {
    std::string pending;
    {
      std::lock_guard lock(endMu_);
      handler_ = std::move(handler);
      if (!ended_ || endReason_.empty()) return;
      pending = std::move(endReason_);
    }
    handler_(pending);
  }

 protected:
  void ended(const std::string& reason) noexcept {
    std::lock_guard lock(endMu_);
    if (ended_) return;
    ended_ = true;
    if (handler_)
      handler_(reason);
    else
      endReason_ = reason;
  }

 private:
  const SessionInfo info_;
  std::mutex endMu_;
  EndHandler handler_;
  bool ended_ = false;
  std::string endReason_;  // an end reported before onEnded()
};

}  // namespace cs
