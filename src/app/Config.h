#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "byoc/ByocSettings.h"
#include "byoc/LiveSettings.h"
#include "clip/ClipSettings.h"
#include "http/Authorizer.h"
#include "http/HttpServer.h"
#include "record/RecordingSettings.h"
#include "rtc/IceServer.h"
#include "rtc/PushAllowList.h"
#include "stream/StreamRegistry.h"
#include "util/EntityTag.h"
#include "workflow/Limits.h"

namespace cs {

struct Config {
  std::string host = "127.0.0.1";
  uint16_t port = 8889;
  std::string workspace;
  std::string logLevel = "info";
  std::string publicIp;       // rewrites host candidates in answers (NAT / cloud)
  std::string mediaIp;        // gather only on this address; empty = every interface
  uint16_t mediaPortMin = 0;  // 0 = any ephemeral port
  uint16_t mediaPortMax = 0;
  unsigned maxStreams = 16;
  unsigned maxViewers = 64;           // per stream
  unsigned videoBitrate = 2'000'000;  // bits per second, shared by every viewer of a codec
  std::vector<IceServer> iceServers;
  std::string twilioAccountSid;
  std::string twilioAuthToken;
  std::string twilioUrl = "https://api.twilio.com";
  std::string webDir;
  bool listNodes = false;  // print docs/NODES.md and exit
  // HTTP transport limits and TLS (host and port above are copied into it).
  http::ServerSettings http;
  http::AuthSettings auth;
  unsigned maxPendingPerAddress = 8;  // WHIP/WHEP sessions not yet connected, per client address
  // A WHIP POST on a stream that has a publisher: replace it (always), only a quiet one (idle),
  // or 409 + Retry-After (never).
  PublisherTakeover publisherTakeover = PublisherTakeover::Always;
  IfMatchPolicy iceIfMatch = IfMatchPolicy::Strict;  // --ice-if-match: a PATCH without If-Match
  // Resource limits of a workflow (docs/security/LIMITS.md).
  WorkflowLimits workflowLimits;
  unsigned warmupTimeoutSeconds = 15;  // compile + warm-up deadline of a control-plane request
  // Server-side recording (docs/RECORDING.md): --record, --record-dir.
  RecordingSettings recording;
  // Workflows run over uploaded clips (docs/CLIPS.md): --max-clip-jobs, --max-clip-bytes,
  // --max-clip-seconds, --clip-retention, --clip-dir.
  ClipSettings clips;
  // Pushes to other WHIP servers (docs/API.md "Pushes", docs/SECURITY.md "Pushes"): only to the
  // hosts --push-allow names; empty: pushes are refused.
  PushAllowList pushAllow;
  unsigned maxPushesPerStream = 8;

  // `comfystream register` registers the BYOC capabilities with --orch-url and exits.
  enum class Command { Serve, Register };
  Command command = Command::Serve;
  bool unregister = false;  // `comfystream register --unregister`
  ByocSettings byoc;
  RegistrationSettings registration;  // orchUrl empty: the server does not register
  // The Livepeer live-video worker (docs/LIVEPEER.md): /stream/start and trickle.
  LiveSettings live;
};

// Parses argv and the environment. Returns the exit code to use when start-up must stop
// (help printed, or a bad value reported in one line), or -1 to go on.
int parseConfig(int argc, char** argv, Config& out);

// Parses "MIN-MAX" (both 1..65535, MIN <= MAX). Throws std::invalid_argument.
void parsePortRange(const std::string& text, uint16_t& min, uint16_t& max);
// Parses a bitrate like 2000000, 2000k or 2M into bits per second. Throws std::invalid_argument.
unsigned parseBitrate(const std::string& text);
bool isLoopbackAddress(const std::string& host);
// Parses "RATE" or "RATE/BURST" (burst defaults to 5 × rate). Throws std::invalid_argument.
void parseRateLimit(const std::string& text, double& rate, double& burst);

}  // namespace cs
