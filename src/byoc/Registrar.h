#pragma once
// Registers this worker's capabilities with a go-livepeer orchestrator and keeps them registered.
//   POST {orch}/capability/register    Authorization: <secret> (raw, no "Bearer")
//        {"name", "description", "url", "capacity", "price_per_unit", "price_scaling",
//         "currency", "token"?}                       → 200, body "ok"; 400 = bad secret or JSON
//   POST {orch}/capability/unregister  Authorization: <secret>, body = the name as plain text
// The orchestrator keeps registrations in memory only and drops a capability when forwarding to
// it fails or it answers 401 (docs/BYOC.md, "Running behind an orchestrator"), so registration
// is repeated every interval, and after a failure with exponential backoff.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "byoc/ByocSettings.h"
#include "byoc/Capability.h"

namespace cs {

// "https://host:8935/prefix/" → {"https://host:8935", "/prefix"}. Throws std::invalid_argument
// unless the URL is http:// or https:// with a host.
std::pair<std::string, std::string> splitBaseUrl(const std::string& url);

// One registration: a job capability (Capability.h), or the live-video capability
// (RegistrationSettings::streamCapability, docs/LIVEPEER.md), each with its own capacity.
struct RegisteredCapability {
  std::string name, description;
  unsigned capacity = 1;
};
// What this worker registers: the three job capabilities, then the live-video one when named.
std::vector<RegisteredCapability> registeredCapabilities(const RegistrationSettings& s);

class Registrar {
 public:
  explicit Registrar(RegistrationSettings settings);
  ~Registrar();
  Registrar(const Registrar&) = delete;
  Registrar& operator=(const Registrar&) = delete;

  // The JSON body registering one capability.
  static nlohmann::json registrationBody(const RegistrationSettings& s, Capability c);
  static nlohmann::json registrationBody(const RegistrationSettings& s,
                                         const RegisteredCapability& c);

  // One request; returns "" on success, else what went wrong (one line).
  std::string registerOnce(Capability c);
  std::string unregisterOnce(Capability c);
  std::string registerOnce(const RegisteredCapability& c);
  std::string unregisterOnce(const RegisteredCapability& c);

  // Background: register every capability now, then every interval; after a failure retry
  // after 1, 2, 4 … seconds (at most the interval, at most 60 s).
  void start();
  // Stops the background thread; with `unregister`, unregisters every capability.
  void stop(bool unregister);

 private:
  std::string post(const std::string& path, const std::string& body,
                   const std::string& contentType);
  void run();

  const RegistrationSettings settings_;
  std::string base_, prefix_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

// `comfystream register`: registers (or with `unregister`, unregisters) every capability once,
// trying each up to `attempts` times 2 s apart. Returns the process exit code.
int runRegisterCommand(const RegistrationSettings& settings, bool unregister, int attempts = 3);

}  // namespace cs
