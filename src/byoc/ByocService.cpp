#include "byoc/ByocService.h"

#include <spdlog/spdlog.h>

namespace cs {

ByocService::ByocService(MediaHost& media, MainLoop& loop, IceServerProvider& ice,
                         ByocSettings settings, ClipJobs* clips)
    : settings_(std::move(settings)),
      loop_(loop),
      sessions_(media, settings_),
      jobs_(sessions_, media, ice, settings_, clips),
      ice_(ice),
      clips_(clips) {}

ByocService::~ByocService() {
  shutdown();
}

void ByocService::start() {
  sessions_.start();
  if (sweeping_) return;
  sweeping_ = std::make_shared<bool>(true);
  // On the main loop: ending a session tears its media down, which must happen there (or on a
  // request thread), never on a streaming thread. The MediaHost's teardown waits for the loop
  // with invokeSync, which runs inline when called from the loop itself.
  loop_.every(kSweepPeriod, [this, on = sweeping_] {
    if (!*on) return false;  // this object may be gone: do not touch it
    try {
      sessions_.sweep();
    } catch (const std::exception& e) {  // never through GLib's C frames
      spdlog::error("BYOC: sweep failed: {}", e.what());
    } catch (...) {
      spdlog::error("BYOC: sweep failed");
    }
    return true;
  });
}

void ByocService::shutdown() {
  if (sweeping_) {
    // On the loop thread: once this returns, no sweep runs and none will start.
    loop_.invokeSync([on = sweeping_] { *on = false; });
    sweeping_.reset();
  }
  sessions_.shutdown();
}

}  // namespace cs
