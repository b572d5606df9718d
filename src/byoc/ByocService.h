#pragma once
// The BYOC worker as one unit for main.cpp and the HTTP routes: its sessions, its job handlers,
// and the timer on the main loop that sweeps the sessions.
#include <chrono>
#include <memory>

#include "byoc/ByocSettings.h"
#include "byoc/JobHandlers.h"
#include "byoc/MediaHost.h"
#include "byoc/SessionManager.h"
#include "util/MainLoop.h"

namespace cs {

class ByocService {
 public:
  // The sweep's period. The deadlines it checks are whole seconds (--session-ttl,
  // --session-connect-timeout, --session-retention), so each is met at most one period late;
  // media that ends is noticed within a period (a silent peer first needs the stream core's own
  // watchdog, about 10 s).
  static constexpr std::chrono::milliseconds kSweepPeriod{1000};

  // `clips`: where comfystream-video jobs with media_data run (null: such jobs are refused).
  // It must stop calling back (be destroyed) before this object is.
  ByocService(MediaHost& media, MainLoop& loop, IceServerProvider& ice, ByocSettings settings,
              ClipJobs* clips = nullptr);
  ~ByocService();
  ByocService(const ByocService&) = delete;
  ByocService& operator=(const ByocService&) = delete;

  // Loads the sessions of an earlier run and starts sweeping them on the main loop.
  void start();
  // Stops the sweep (a sweep under way finishes first), then ends every live session. Call from
  // any thread but a streaming thread; idempotent.
  void shutdown();

  const ByocSettings& settings() const { return settings_; }
  SessionManager& sessions() { return sessions_; }
  JobHandlers& jobs() { return jobs_; }
  IceServerProvider& ice() { return ice_; }
  ClipJobs* clips() { return clips_; }

 private:
  const ByocSettings settings_;
  MainLoop& loop_;
  SessionManager sessions_;
  JobHandlers jobs_;
  IceServerProvider& ice_;
  ClipJobs* clips_;
  // Whether the timer still sweeps; read and written on the loop thread only. Shared with the
  // timer's callback, which outlives this object until its next tick returns false.
  std::shared_ptr<bool> sweeping_;
};

}  // namespace cs
