#pragma once
// The BYOC worker as one unit for main.cpp and HttpServer: its sessions and its job handlers.
#include "byoc/ByocSettings.h"
#include "byoc/JobHandlers.h"
#include "byoc/SessionManager.h"

namespace cs {

class ByocService {
 public:
  ByocService(ByocMedia& registry, IceServerProvider& ice, ByocSettings settings)
      : settings_(std::move(settings)),
        sessions_(registry, settings_),
        jobs_(sessions_, registry, ice, settings_),
        ice_(ice) {}

  void start() { sessions_.start(); }
  void shutdown() { sessions_.shutdown(); }

  const ByocSettings& settings() const { return settings_; }
  SessionManager& sessions() { return sessions_; }
  JobHandlers& jobs() { return jobs_; }
  IceServerProvider& ice() { return ice_; }

 private:
  const ByocSettings settings_;
  SessionManager sessions_;
  JobHandlers jobs_;
  IceServerProvider& ice_;
};

}  // namespace cs
