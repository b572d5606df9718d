// comfystream: WHIP in → a workflow on every frame → WHEP out.
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <iostream>
#include <memory>

#include "app/Config.h"
#include "byoc/ByocService.h"
#include "byoc/LiveWorker.h"
#include "byoc/Registrar.h"
#include "byoc/StreamCoreMediaHost.h"
#include "http/BaseRoutes.h"
#include "http/ByocResource.h"
#include "http/ClipResource.h"
#include "http/HttpServer.h"
#include "http/LiveWorkerResource.h"
#include "http/MetricsResource.h"
#include "http/PushResource.h"
#include "http/RecordingResource.h"
#include "http/WhipWhepResource.h"
#include "http/WorkflowLibraryResource.h"
#include "http/WorkflowResource.h"
#include "record/RecordingService.h"
#include "rtc/GstRuntime.h"
#include "rtc/IceServerProvider.h"
#include "rtc/WebRtcGateway.h"
#include "stream/StreamRegistry.h"
#include "util/MainLoop.h"
#include "workflow/NodeDocs.h"
#include "workflow/WorkflowService.h"

int main(int argc, char** argv) {
  cs::Config config;
  if (const int rc = cs::parseConfig(argc, argv, config); rc >= 0) return rc;
  if (config.listNodes) {
    std::cout << cs::nodesMarkdown(cs::NodeRegistry::builtin());
    return 0;
  }
  if (config.command == cs::Config::Command::Register)
    return cs::runRegisterCommand(config.registration, config.unregister);

  spdlog::set_level(
      spdlog::level::from_str(config.logLevel == "warning" ? "warn" : config.logLevel));
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

  // Every connection is a descriptor, and so is every media socket: use what the hard limit
  // allows, and keep half of it for media.
  if (rlimit lim{}; getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  if (rlimit lim{}; getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY &&
                    config.http.maxConnections > lim.rlim_cur / 2) {
    config.http.maxConnections = static_cast<unsigned>(lim.rlim_cur / 2);
    spdlog::warn("comfystream: --max-connections lowered to {} (half of the descriptor limit)",
                 config.http.maxConnections);
  }

  int exitCode = 0;
  {
    cs::MainLoop loop;
    cs::IceServerProvider ice(config.iceServers,
                              {config.twilioUrl, config.twilioAccountSid, config.twilioAuthToken});
    cs::WorkflowSettings ws;
    ws.workspace = config.workspace;
    ws.limits = config.workflowLimits;
    ws.timeout = std::chrono::seconds(config.warmupTimeoutSeconds);
    cs::WorkflowService workflows(ws);
    cs::RegistrySettings rs;
    rs.maxStreams = config.maxStreams;
    rs.maxViewers = config.maxViewers;
    rs.videoBitrate = config.videoBitrate;
    rs.maxPendingPerAddress = config.maxPendingPerAddress;
    rs.takeover = config.publisherTakeover;
    cs::StreamRegistry registry(rs, loop);
    cs::WebRtcGateway webrtc(
        registry, workflows,
        {config.mediaIp, config.mediaPortMin, config.mediaPortMax, config.publicIp});
    cs::RecordingService recordings(config.recording, registry, loop);
    cs::PushSettings pushSettings;
    pushSettings.allow = config.pushAllow;
    pushSettings.maxPerStream = config.maxPushesPerStream;
    cs::PushService pushes(pushSettings, registry, loop,
                           {config.mediaIp, config.mediaPortMin, config.mediaPortMax, {}});
    // Not fatal when its directory is unusable: clip requests then answer why.
    auto clips = std::make_unique<cs::ClipJobs>(config.clips);
    cs::StreamCoreMediaHost byocMedia(webrtc, workflows);
    cs::ByocService byoc(byocMedia, loop, ice, config.byoc, clips.get());
    byoc.start();
    cs::LiveWorker live(registry, workflows, loop, config.live);
    // The routes keep a reference to the authorizer: it outlives the server.
    std::unique_ptr<cs::http::Authorizer> auth;
    std::unique_ptr<cs::http::Server> http;
    try {
      auth = std::make_unique<cs::http::Authorizer>(config.auth);
      // The route modules. The router keeps references to what they serve, all of which
      // outlive the server.
      cs::http::Router router;
      cs::addHealthRoute(router,
                         [&live] { return std::string(cs::LiveWorker::toString(live.health())); });
      cs::addWhipWhepRoutes(router, webrtc, ice, *auth, &recordings, config.iceIfMatch);
      cs::addRecordingRoutes(router, recordings, *auth);
      cs::addPushRoutes(router, pushes, *auth);
      cs::addClipRoutes(router, *clips, workflows, *auth);
      cs::addWorkflowRoutes(router, webrtc, workflows, *auth);
      cs::addWorkflowLibraryRoutes(router, workflows, *auth);
      cs::addByocRoutes(router, byoc, *auth);
      cs::addLiveWorkerRoutes(router, live, COMFYSTREAM_VERSION);
      cs::addMetricsRoute(router, registry, &byoc.sessions(), *auth);
      cs::addStaticFiles(router, config.webDir);
      http = std::make_unique<cs::http::Server>(config.http, std::move(router));
      http->start();
    } catch (const std::exception& e) {
      std::cerr << "comfystream: " << e.what() << "\n";
      return 1;
    }
    if (config.auth.token.empty() && config.auth.tokenFile.empty() &&
        !cs::isLoopbackAddress(config.host))
      spdlog::warn(
          "comfystream: no --auth-token or --auth-file and --host {} is reachable from "
          "other machines: anyone can publish, view and end streams",
          config.host);
    if (config.byoc.workerToken.empty() && config.live.allowHosts.empty() &&
        !cs::isLoopbackAddress(config.host))
      spdlog::warn(
          "comfystream: no --worker-token or --trickle-allow and --host {} is reachable from "
          "other machines: anyone can start live streams that make this server connect to any "
          "URL",
          config.host);
    spdlog::info(
        "comfystream {} listening on {}://{}:{} (media address {}, workflow default "
        "passthrough)",
        COMFYSTREAM_VERSION, config.http.tlsCert.empty() ? "http" : "https", config.host,
        config.port, config.mediaIp.empty() ? "all interfaces" : config.mediaIp);
    std::unique_ptr<cs::Registrar> registrar;
    if (!config.registration.orchUrl.empty()) {
      const auto& reg = config.registration;
      if (reg.currency != "" && reg.currency != "wei" && reg.currency != "eth")
        spdlog::warn(
            "BYOC: currency '{}' needs a price feed on the orchestrator (wei and eth "
            "are fixed prices)",
            reg.currency);
      if (reg.capabilityUrl.find("://0.0.0.0") != std::string::npos ||
          reg.capabilityUrl.find("://[::]") != std::string::npos)
        spdlog::warn(
            "BYOC: registering url {}, which an orchestrator cannot reach; set "
            "--capability-url",
            reg.capabilityUrl);
      registrar = std::make_unique<cs::Registrar>(reg);
      registrar->start();
    }
    int sig = 0;
    sigwait(&stopSignals, &sig);
    spdlog::info("comfystream: signal {} received, shutting down", sig);
    if (registrar) registrar->stop(/*unregister=*/true);
    http->stop();
    live.shutdown();  // each stream's last segment flushed and its channels closed
    byoc.shutdown();
    clips.reset();          // running clip jobs cancelled; their BYOC sessions have just ended
    recordings.shutdown();  // EOS first, so every file gets its duration and cues
    pushes.shutdown();      // remote sessions DELETEd
    registry.shutdown();
  }
  return exitCode;
}
