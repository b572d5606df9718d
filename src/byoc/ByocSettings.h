#pragma once
// Settings of the BYOC worker (Livepeer "bring your own compute" job endpoints) and of its
// registration with an orchestrator. Filled from flags in app/Config.cpp.
#include <chrono>
#include <cstdint>
#include <string>

namespace cs {

struct ByocSettings {
  std::string stateDir;                  // SQLite session store lives here (created on first use)
  unsigned capacity = 1;                 // live sessions per capability; past it 503 + Retry-After
  std::chrono::seconds sessionTtl{300};  // idle sessions end after this; 0 = never
  // A session whose peer (comfystream-video: a WHIP publisher) never connected ends this long
  // after it was created, so a job nobody uses does not hold capacity for the TTL; 0 = off.
  std::chrono::seconds connectTimeout{30};
  std::chrono::seconds retention{86400};  // ended sessions are forgotten after this
  std::string workerToken;  // when set, job requests need "Authorization: Bearer <token>"
  std::string publicUrl;    // when set, whip/whep endpoints in results are absolute
};

struct RegistrationSettings {
  std::string orchUrl;        // https://orchestrator:8935 (empty: do not register)
  std::string orchSecret;     // sent raw in Authorization (go-livepeer's -orchSecret)
  std::string capabilityUrl;  // this worker's base URL as the orchestrator reaches it
  unsigned capacity = 1;
  // The live-video capability (streams over trickle, docs/LIVEPEER.md), registered beside the
  // job capabilities with its own capacity; an empty name registers none.
  std::string streamCapability;
  unsigned streamCapacity = 1;
  int64_t pricePerUnit = 0;
  int64_t priceScaling = 1;
  std::string currency = "wei";
  std::string workerToken;            // registered as "token": the orchestrator sends it as Bearer
  bool insecure = false;              // accept a self-signed orchestrator certificate
  std::chrono::seconds interval{30};  // re-registration period (the orchestrator keeps none)
};

}  // namespace cs
