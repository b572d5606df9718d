// comfystream: WHIP in → a workflow on every frame → WHEP out.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "app/Config.h"
#include "http/HttpServer.h"
#include "rtc/GstRuntime.h"
#include "rtc/IceServerProvider.h"
#include "stream/StreamRegistry.h"
#include "util/MainLoop.h"
#include "workflow/NodeDocs.h"

int main(int argc, char** argv) {
  cs::Config config;
  if (const int rc = cs::parseConfig(argc, argv, config); rc >= 0) return rc;
  if (config.listNodes) {
    std::cout << cs::nodesMarkdown(cs::NodeRegistry::builtin());
    return 0;
  }

  spdlog::set_level(spdlog::level::from_str(config.logLevel == "warning" ? "warn" : config.logLevel));
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");

  // Block the stop signals before any thread starts, so only sigwait() below sees them.
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGINT);
  sigaddset(&stopSignals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);

  if (const auto missing = cs::initGstreamer(&argc, &argv); !missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    std::cerr << "comfystream: missing GStreamer elements: " << list
              << " (run scripts/install-deps.sh)\n";
    return 1;
  }

  int exitCode = 0;
  {
    cs::MainLoop loop;
    cs::IceServerProvider ice(config.iceServers,
                              {config.twilioUrl, config.twilioAccountSid, config.twilioAuthToken});
    cs::RegistrySettings rs;
    rs.network = {config.mediaIp, config.mediaPortMin, config.mediaPortMax, config.publicIp};
    rs.maxStreams = config.maxStreams;
    rs.maxViewers = config.maxViewers;
    rs.videoBitrate = config.videoBitrate;
    rs.workspace = config.workspace;
    cs::StreamRegistry registry(rs, loop);
    cs::HttpServer http(registry, ice, config.webDir);
    try {
      http.start(config.host, config.port);
    } catch (const std::exception& e) {
      std::cerr << "comfystream: " << e.what() << "\n";
      return 1;
    }
    spdlog::info("comfystream {} listening on http://{}:{} (media address {}, workflow default "
                 "passthrough)",
                 COMFYSTREAM_VERSION, config.host, config.port,
                 config.mediaIp.empty() ? "all interfaces" : config.mediaIp);
    int sig = 0;
    sigwait(&stopSignals, &sig);
    spdlog::info("comfystream: signal {} received, shutting down", sig);
    http.stop();
    registry.shutdown();
  }
  return exitCode;
}
