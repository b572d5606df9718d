#include "app/Config.h"

#include <arpa/inet.h>
#include <cctype>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <stdexcept>

#include "byoc/Registrar.h"

namespace cs {
namespace {

bool isIpAddress(const std::string& s) {
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

const char* envOrNull(const char* name) {
  const char* v = std::getenv(name);
  return (v && *v) ? v : nullptr;
}

// go-livepeer's -orchSecret convention: a value naming a file means the file's first line.
// A capability name goes into the orchestrator's registry and its job paths.
bool isSafeCapabilityName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (const char ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_' && ch != '.')
      return false;
  return true;
}

std::string secretValue(const std::string& value) {
  std::error_code ec;
  if (value.empty() || !std::filesystem::is_regular_file(value, ec)) return value;
  std::ifstream in(value);
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  if (line.empty()) throw std::invalid_argument("--orch-secret file '" + value + "' is empty");
  return line;
}

}  // namespace

bool isLoopbackAddress(const std::string& host) {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

void parsePortRange(const std::string& text, uint16_t& min, uint16_t& max) {
  const auto dash = text.find('-');
  if (dash == std::string::npos)
    throw std::invalid_argument("expected MIN-MAX, got '" + text + "'");
  auto port = [&](const std::string& s) {
    size_t used = 0;
    long v = -1;
    try {
      v = std::stol(s, &used);
    } catch (const std::exception&) {
    }
    if (used != s.size() || v < 1 || v > 65535)
      throw std::invalid_argument("'" + s + "' is not a port number (1-65535)");
    return static_cast<uint16_t>(v);
  };
  min = port(text.substr(0, dash));
  max = port(text.substr(dash + 1));
  if (min > max) throw std::invalid_argument("MIN is greater than MAX in '" + text + "'");
}

unsigned parseBitrate(const std::string& text) {
  size_t used = 0;
  double v = -1;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
  }
  double scale = 1;
  const std::string suffix = text.substr(used);
  if (suffix == "k" || suffix == "K")
    scale = 1e3;
  else if (suffix == "m" || suffix == "M")
    scale = 1e6;
  else if (!suffix.empty())
    throw std::invalid_argument("'" + text + "' is not a bitrate (e.g. 2000000, 2000k, 2M)");
  const double bps = v * scale;
  if (!(bps >= 100e3 && bps <= 50e6))
    throw std::invalid_argument("bitrate '" + text + "' is outside 100k-50M");
  return static_cast<unsigned>(bps);
}

void parseRateLimit(const std::string& text, double& rate, double& burst) {
  const auto slash = text.find('/');
  try {
    size_t used = 0;
    rate = std::stod(text.substr(0, slash), &used);
    if (used != text.substr(0, slash).size()) throw std::invalid_argument(text);
    burst = std::max(1.0, rate * 5);
    if (slash != std::string::npos) {
      burst = std::stod(text.substr(slash + 1), &used);
      if (used != text.size() - slash - 1) throw std::invalid_argument(text);
    }
  } catch (const std::exception&) {
    throw std::invalid_argument("--rate-limit '" + text + "' is not RATE or RATE/BURST");
  }
  if (!(rate >= 0 && rate <= 1e6 && burst >= 1 && burst <= 1e6))
    throw std::invalid_argument("--rate-limit '" + text +
                                "': RATE within 0-1000000, BURST within 1-1000000");
}

int parseConfig(int argc, char** argv, Config& c) {
  CLI::App app{"comfystream: WHIP in, a workflow on every frame, WHEP out"};
  app.set_version_flag("--version", COMFYSTREAM_VERSION);
  std::string mediaPorts, bitrate = "2M";
  std::vector<std::string> iceSpecs;
  if (const char* w = envOrNull("WORKSPACE")) c.workspace = w;

  app.add_option("--host", c.host, "Address the HTTP server binds to")->capture_default_str();
  app.add_option("--port", c.port, "HTTP port")->capture_default_str()->check(CLI::Range(1, 65535));
  app.add_option("--workspace", c.workspace, "ComfyUI workspace directory")->envname("WORKSPACE");
  app.add_option("--log-level", c.logLevel, "trace|debug|info|warn|error|critical")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "warning", "error", "critical"},
                            CLI::ignore_case));
  app.add_option("--public-ip", c.publicIp, "Address written into host candidates of answers");
  app.add_option("--media-ip", c.mediaIp,
                 "Gather ICE candidates on this address only (default: --host when loopback)");
  app.add_option("--media-ports", mediaPorts, "UDP port range for media, MIN-MAX");
  app.add_option("--max-streams", c.maxStreams, "Streams with a live publisher at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  app.add_option("--max-viewers", c.maxViewers, "Viewers per stream")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  const std::map<std::string, PublisherTakeover> takeovers = {{"always", PublisherTakeover::Always},
                                                              {"idle", PublisherTakeover::Idle},
                                                              {"never", PublisherTakeover::Never}};
  app.add_option("--publisher-takeover", c.publisherTakeover,
                 "A WHIP POST on a stream that has a publisher: always (replace it), idle (only "
                 "one silent for 1 s or not connected), never (409 + Retry-After)")
      ->transform(CLI::CheckedTransformer(takeovers, CLI::ignore_case))
      ->default_str("always");
  app.add_option("--video-bitrate", bitrate, "Encoder bitrate, e.g. 2M or 1500k")
      ->capture_default_str();
  app.add_option("--ice-server", iceSpecs,
                 "STUN/TURN server advertised to clients (repeatable): stun:host:port or "
                 "turn:user:pass@host:port");
  app.add_option("--twilio-url", c.twilioUrl, "Twilio API base URL (TURN credentials)")
      ->capture_default_str();
  app.add_option("--web-dir", c.webDir, "Directory of the browser UI")->capture_default_str();
  // Facing the internet: TLS, tokens, and the limits that keep the control plane up (SECURITY.md).
  std::string rateLimit = "20/100";
  double headerTimeout = 10, bodyTimeout = 20;
  app.add_option("--tls-cert", c.http.tlsCert, "PEM certificate chain: serve HTTPS only");
  app.add_option("--tls-key", c.http.tlsKey, "PEM private key for --tls-cert");
  app.add_option("--auth-token", c.auth.token,
                 "Bearer token for publishing, viewing and controlling every stream")
      ->envname("COMFYSTREAM_AUTH_TOKEN");
  app.add_option("--auth-file", c.auth.tokenFile,
                 "Per-stream tokens: lines \"STREAM publish|view|any TOKEN\" (STREAM may be *)");
  app.add_option("--admin-token", c.auth.adminToken,
                 "Bearer token for stats and control routes (and any stream)")
      ->envname("COMFYSTREAM_ADMIN_TOKEN");
  app.add_option("--max-connections", c.http.maxConnections, "Open HTTP connections at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--max-connections-per-ip", c.http.maxConnectionsPerAddress,
                 "Open HTTP connections per client address")
      ->capture_default_str()
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--max-pending-per-ip", c.maxPendingPerAddress,
                 "WHIP/WHEP sessions per client address whose media has not connected yet")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  // RFC 9725 §4.3.1: a PATCH without If-Match is 428; "lenient" lets it through for clients
  // that never send one. A wrong If-Match is 412 either way.
  app.add_option("--ice-if-match", c.iceIfMatch,
                 "A WHIP/WHEP PATCH without If-Match: strict (428) or lenient (accepted)")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, IfMatchPolicy>{{"strict", IfMatchPolicy::Strict},
                                               {"lenient", IfMatchPolicy::Lenient}},
          CLI::ignore_case))
      ->default_str("strict");
  app.add_option("--rate-limit", rateLimit,
                 "POST/PATCH/DELETE per client address: RATE[/BURST] per second; 0 turns it off")
      ->capture_default_str();
  app.add_option("--header-timeout", headerTimeout,
                 "Seconds for a request head to arrive (also the keep-alive idle timeout)")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 3600.0));
  app.add_option("--body-timeout", bodyTimeout, "Seconds for a request body to arrive")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 3600.0));
  app.add_option("--http-workers", c.http.workerThreads,
                 "Threads that run request handlers (SDP, workflows)")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  app.add_flag("--list-nodes", c.listNodes,
               "Print the supported workflow nodes (Markdown) and exit");
  WorkflowLimits& lim = c.workflowLimits;
  unsigned maxModelMiB = static_cast<unsigned>(lim.maxModelBytes >> 20);
  app.add_option("--max-image-size", lim.maxImageSide,
                 "Longest side of an image a workflow may make, in pixels")
      ->capture_default_str()
      ->check(CLI::Range(16, 16384));
  app.add_option("--max-image-pixels", lim.maxImagePixels,
                 "Pixels of one image a workflow may make")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{256}, int64_t{16384} * 16384));
  app.add_option("--max-batch", lim.maxBatch, "Images per batch a workflow may ask for")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  app.add_option("--max-model-size", maxModelMiB, "Largest model file a workflow may load, in MiB")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--warmup-timeout", c.warmupTimeoutSeconds,
                 "Seconds a request waits for its workflow to compile and warm up (then 503)")
      ->capture_default_str()
      ->check(CLI::Range(1, 600));

  // Server-side recording (docs/RECORDING.md).
  app.add_flag("--record", c.recording.recordEveryStream,
               "Record every stream from the moment its publisher starts");
  std::string recordDir;
  app.add_option("--record-dir", recordDir,
                 "Directory of recordings (default: {workspace or .}/recordings)");

  // Clips (docs/CLIPS.md).
  std::string clipDir;
  unsigned maxClipMiB = static_cast<unsigned>(c.clips.maxBytes >> 20);
  unsigned maxClipSeconds = static_cast<unsigned>(c.clips.limits.maxDuration.count());
  unsigned clipRetention = static_cast<unsigned>(c.clips.retention.count());
  app.add_option("--clip-dir", clipDir,
                 "Directory of clip uploads and results (default: {state-dir}/clips)");
  app.add_option("--max-clip-jobs", c.clips.maxJobs,
                 "Clip jobs processed at once (more wait in a short queue, then 503)")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--max-clip-queue", c.clips.maxQueued, "Clip jobs waiting past --max-clip-jobs")
      ->capture_default_str()
      ->check(CLI::Range(0, 1024));
  app.add_option("--max-clip-bytes", maxClipMiB, "Largest clip upload, in MiB (past it 413)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 16));
  app.add_option("--max-clip-seconds", maxClipSeconds, "Longest clip processed, in seconds")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  app.add_option("--clip-retention", clipRetention,
                 "Seconds a finished clip job and its result are kept")
      ->capture_default_str()
      ->check(CLI::Range(1, 30 * 86400));

  // Pushes to other WHIP servers (docs/API.md, docs/SECURITY.md "Pushes").
  std::string pushAllow;
  app.add_option("--push-allow", pushAllow,
                 "Hosts this server may push streams to (POST /streams/{id}/pushes): comma-"
                 "separated host[:port], *.domain, or * for any (default: pushes are off)");
  app.add_option("--max-pushes", c.maxPushesPerStream, "Pushes per stream (they count as viewers)")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));

  // BYOC worker (docs/BYOC.md).
  unsigned ttl = 300, connectTimeout = 30, retention = 86400, registerInterval = 30;
  auto& reg = c.registration;
  app.add_option("--state-dir", c.byoc.stateDir,
                 "BYOC session store directory (default: {workspace or .}/.comfystream-state)");
  app.add_option("--capacity", c.byoc.capacity,
                 "Live BYOC sessions per capability (also registered); past it 503")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  app.add_option("--session-ttl", ttl,
                 "Seconds without media or requests before a BYOC session ends (0: never)")
      ->capture_default_str();
  app.add_option("--session-connect-timeout", connectTimeout,
                 "Seconds a BYOC session may wait for its first connected peer before it ends "
                 "and frees its capacity (0: --session-ttl only)")
      ->capture_default_str();
  app.add_option("--session-retention", retention,
                 "Seconds an ended BYOC session stays answerable (0: until deleted)")
      ->capture_default_str();
  app.add_option("--worker-token", c.byoc.workerToken,
                 "Job requests need 'Authorization: Bearer <token>'; registered as the token")
      ->envname("WORKER_TOKEN");
  app.add_option("--byoc-public-url", c.byoc.publicUrl,
                 "Base URL clients reach this server at: makes whip/whep endpoints absolute");
  app.add_option("--orch-url", reg.orchUrl,
                 "Livepeer orchestrator to register the BYOC capabilities with")
      ->envname("ORCH_URL");
  app.add_option("--orch-secret", reg.orchSecret,
                 "The orchestrator's -orchSecret (or a file holding it)")
      ->envname("ORCH_SECRET");
  app.add_option("--capability-url", reg.capabilityUrl,
                 "This worker's URL as the orchestrator reaches it (default http://HOST:PORT)")
      ->envname("CAPABILITY_URL");
  app.add_option("--price-per-unit", reg.pricePerUnit, "Registered price per second of compute")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--price-scaling", reg.priceScaling, "Registered price denominator")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--currency", reg.currency, "Registered price currency (wei, eth)")
      ->capture_default_str();
  app.add_flag("--orch-insecure", reg.insecure,
               "Accept the orchestrator's self-signed TLS certificate (registration and the "
               "trickle channels)");
  app.add_option("--register-interval", registerInterval,
                 "Seconds between re-registrations with the orchestrator")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  // Livepeer live-video worker (docs/LIVEPEER.md).
  unsigned segmentMs = 1000;
  std::string trickleAllow;
  unsigned inputTimeout = 60;
  app.add_option("--stream-capacity", c.live.capacity,
                 "Live trickle streams at once (POST /stream/start; also registered); past it "
                 "503")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  app.add_option("--capability-name", c.live.capabilityName,
                 "Name the live-video capability is registered under")
      ->envname("CAPABILITY_NAME")
      ->capture_default_str();
  app.add_option("--trickle-segment-ms", segmentMs,
                 "Length of the output's MPEG-TS segments in milliseconds (each starts on a "
                 "keyframe)")
      ->capture_default_str()
      ->check(CLI::Range(200, 10000));
  app.add_option("--trickle-input-timeout", inputTimeout,
                 "Seconds a live stream's input channel may deliver nothing before the stream "
                 "ends with an error event")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  app.add_option("--trickle-allow", trickleAllow,
                 "Hosts /stream/start may name as trickle channels (the orchestrators'): "
                 "comma-separated host[:port], *.domain (default: any host)");
  auto* registerCmd = app.add_subcommand(
      "register", "Register the BYOC capabilities with --orch-url once, then exit");
  registerCmd->fallthrough();
  registerCmd->add_flag("--unregister", c.unregister, "Unregister them instead");

  try {
    app.parse(argc, argv);
    if (!mediaPorts.empty()) parsePortRange(mediaPorts, c.mediaPortMin, c.mediaPortMax);
    c.videoBitrate = parseBitrate(bitrate);
    lim.maxModelBytes = static_cast<uint64_t>(maxModelMiB) << 20;
    if (!c.publicIp.empty() && !isIpAddress(c.publicIp))
      throw std::invalid_argument("--public-ip '" + c.publicIp + "' is not an IP address");
    if (c.mediaIp.empty() && isLoopbackAddress(c.host))
      c.mediaIp = c.host == "localhost" ? "127.0.0.1" : c.host;
    if (!c.mediaIp.empty() && !isIpAddress(c.mediaIp))
      throw std::invalid_argument("--media-ip '" + c.mediaIp + "' is not an IP address");
    if (iceSpecs.empty()) iceSpecs.push_back("stun:stun.l.google.com:19302");
    for (const auto& s : iceSpecs) c.iceServers.push_back(IceServer::parse(s));
    if (const char* sid = envOrNull("TWILIO_ACCOUNT_SID")) c.twilioAccountSid = sid;
    if (const char* tok = envOrNull("TWILIO_AUTH_TOKEN")) c.twilioAuthToken = tok;
    if (c.webDir.empty()) c.webDir = COMFYSTREAM_DEFAULT_WEB_DIR;

    if (registerCmd->parsed()) c.command = Config::Command::Register;
    c.http.host = c.host == "localhost" ? "127.0.0.1" : c.host;
    c.http.port = c.port;
    parseRateLimit(rateLimit, c.http.ratePerSecond, c.http.rateBurst);
    c.http.headerTimeout = std::chrono::milliseconds(static_cast<int64_t>(headerTimeout * 1000));
    c.http.bodyTimeout = std::chrono::milliseconds(static_cast<int64_t>(bodyTimeout * 1000));
    if (c.http.tlsCert.empty() != c.http.tlsKey.empty())
      throw std::invalid_argument("--tls-cert and --tls-key go together");
    if (c.byoc.stateDir.empty())
      c.byoc.stateDir =
          (std::filesystem::path(c.workspace.empty() ? "." : c.workspace) / ".comfystream-state")
              .string();
    c.recording.dir =
        recordDir.empty()
            ? std::filesystem::path(c.workspace.empty() ? "." : c.workspace) / "recordings"
            : std::filesystem::path(recordDir);
    // Checked (and created) at start-up when recordings are wanted; otherwise the first POST of
    // a recording reports the reason (500), and an unused server leaves no directory behind.
    if (c.recording.recordEveryStream || !recordDir.empty())
      if (const std::string why = c.recording.checkWritable(); !why.empty())
        throw std::invalid_argument("--record-dir: " + why);
    c.clips.directory = clipDir.empty() ? std::filesystem::path(c.byoc.stateDir) / "clips"
                                        : std::filesystem::path(clipDir);
    c.clips.maxBytes = uint64_t{maxClipMiB} << 20;
    c.clips.limits.maxDuration = std::chrono::seconds(maxClipSeconds);
    c.clips.retention = std::chrono::seconds(clipRetention);
    c.clips.limits.maxWidth = c.clips.limits.maxHeight = c.workflowLimits.maxImageSide;
    c.clips.limits.maxPixels = c.workflowLimits.maxImagePixels;
    // Uploads land in the clip directory, so a job takes its upload by a rename.
    c.http.uploadDirectory = c.clips.directory.string();
    c.pushAllow = PushAllowList::parse(pushAllow);
    c.byoc.sessionTtl = std::chrono::seconds(ttl);
    c.byoc.connectTimeout = std::chrono::seconds(connectTimeout);
    c.byoc.retention = std::chrono::seconds(retention);
    reg.interval = std::chrono::seconds(registerInterval);
    c.live.segmentLength = std::chrono::milliseconds(segmentMs);
    c.live.allowHosts = PushAllowList::parse(trickleAllow);
    c.live.inputStallTimeout = std::chrono::seconds(inputTimeout);
    c.live.insecure = reg.insecure;
    c.live.workerToken = c.byoc.workerToken;
    if (!isSafeCapabilityName(c.live.capabilityName))
      throw std::invalid_argument("--capability-name '" + c.live.capabilityName +
                                  "': 1-64 letters, digits, '-', '_' or '.'");
    reg.streamCapability = c.live.capabilityName;
    reg.streamCapacity = c.live.capacity;
    reg.capacity = c.byoc.capacity;
    reg.workerToken = c.byoc.workerToken;
    reg.orchSecret = secretValue(reg.orchSecret);
    if (reg.capabilityUrl.empty()) {
      const bool v6 = c.host.find(':') != std::string::npos;
      reg.capabilityUrl =
          "http://" + (v6 ? "[" + c.host + "]" : c.host) + ":" + std::to_string(c.port);
    }
    const auto checkUrl = [](const char* flag, const std::string& url) {
      try {
        splitBaseUrl(url);
      } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(std::string(flag) + ": " + e.what());
      }
    };
    checkUrl("--capability-url", reg.capabilityUrl);
    while (reg.capabilityUrl.ends_with('/')) reg.capabilityUrl.pop_back();
    if (!c.byoc.publicUrl.empty()) checkUrl("--byoc-public-url", c.byoc.publicUrl);
    if (c.command == Config::Command::Register && reg.orchUrl.empty())
      throw std::invalid_argument("register needs --orch-url (or ORCH_URL)");
    if (!reg.orchUrl.empty()) {
      checkUrl("--orch-url", reg.orchUrl);
      if (reg.orchSecret.empty())
        throw std::invalid_argument("--orch-url needs --orch-secret (or ORCH_SECRET)");
    }
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "comfystream: " << e.what() << "\n";
    return 2;
  } catch (const std::invalid_argument& e) {
    std::cerr << "comfystream: " << e.what() << "\n";
    return 2;
  }
  return -1;
}

}  // namespace cs
