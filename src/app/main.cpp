// comfystream: WHIP in → a workflow on every frame → WHEP out.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>

#include "app/Config.h"
#include "byoc/ByocService.h"
#include "byoc/Registrar.h"
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
  if (config.command == cs::Config::Command::Register)
    return cs::runRegisterCommand(config.registration, config.unregister);

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
    rs.limits = config.workflowLimits;
    rs.warmupTimeout = std::chrono::seconds(config.warmupTimeoutSeconds);
    cs::StreamRegistry registry(rs, loop);
    cs::ByocService byoc(registry, ice, config.byoc);
    byoc.start();
    cs::HttpServer http(registry, ice, config.webDir, &byoc);
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
    std::unique_ptr<cs::Registrar> registrar;
    if (!config.registration.orchUrl.empty()) {
      const auto& reg = config.registration;
      if (reg.currency != "" && reg.currency != "wei" && reg.currency != "eth")
        spdlog::warn("BYOC: currency '{}' needs a price feed on the orchestrator (wei and eth "
                     "are fixed prices)", reg.currency);
      if (reg.capabilityUrl.find("://0.0.0.0") != std::string::npos ||
          reg.capabilityUrl.find("://[::]") != std::string::npos)
        spdlog::warn("BYOC: registering url {}, which an orchestrator cannot reach; set "
                     "--capability-url", reg.capabilityUrl);
      registrar = std::make_unique<cs::Registrar>(reg);
      registrar->start();
    }
    int sig = 0;
    sigwait(&stopSignals, &sig);
    spdlog::info("comfystream: signal {} received, shutting down", sig);
    if (registrar) registrar->stop(/*unregister=*/true);
    http.stop();
    byoc.shutdown();
    registry.shutdown();
  }
  return exitCode;
}
