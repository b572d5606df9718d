#pragma once
// Settings of the Livepeer live-video worker: streams in and out over trickle (docs/LIVEPEER.md).
// Filled from flags in app/Config.cpp.
#include <chrono>
#include <string>

#include "rtc/PushAllowList.h"

namespace cs {

struct LiveSettings {
  unsigned capacity = 1;  // --stream-capacity: trickle streams at once; past it 503 + Retry-After
  std::string capabilityName = "comfystream";     // CAPABILITY_NAME, as the original registers
  std::chrono::milliseconds segmentLength{1000};  // --trickle-segment-ms: output segments
  // --trickle-input-timeout: an input channel that delivers no byte for this long ends its
  // stream with an error event.
  std::chrono::seconds inputStallTimeout{60};
  // pytrickle's heartbeat period; the gateway swaps orchestrators after 30 s without an event.
  std::chrono::seconds heartbeatInterval{10};
  bool insecure = false;    // --orch-insecure: accept the orchestrator's self-signed certificate
  std::string workerToken;  // the job endpoints' Bearer token rule applies to /stream/*
  // --trickle-allow: the hosts a /stream/start may name as channels (the orchestrator's). Empty:
  // any host — the caller is trusted as the orchestrator (docs/SECURITY.md, "Live worker").
  PushAllowList allowHosts;
};

}  // namespace cs
