#include "byoc/Registrar.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iostream>
#include <stdexcept>

namespace cs {

std::pair<std::string, std::string> splitBaseUrl(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos ||
      (url.compare(0, scheme, "http") != 0 && url.compare(0, scheme, "https") != 0))
    throw std::invalid_argument("'" + url + "' is not an http:// or https:// URL");
  const auto pathStart = url.find('/', scheme + 3);
  std::string base = url.substr(0, pathStart);
  std::string prefix = pathStart == std::string::npos ? "" : url.substr(pathStart);
  if (base.size() == scheme + 3) throw std::invalid_argument("'" + url + "' has no host");
  if (prefix.find_first_of("?#") != std::string::npos)
    throw std::invalid_argument("'" + url + "' must not carry a query or fragment");
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  return {base, prefix};
}

Registrar::Registrar(RegistrationSettings settings) : settings_(std::move(settings)) {
  std::tie(base_, prefix_) = splitBaseUrl(settings_.orchUrl);
}

Registrar::~Registrar() {
  stop(false);
}

std::vector<RegisteredCapability> registeredCapabilities(const RegistrationSettings& s) {
  std::vector<RegisteredCapability> out;
  for (Capability c : kAllCapabilities)
    out.push_back(
        {std::string(capabilityName(c)), std::string(capabilityDescription(c)), s.capacity});
  // The orchestrator posts {url}/stream/start for it, and hosts its trickle channels.
  if (!s.streamCapability.empty())
    out.push_back({s.streamCapability,
                   "ComfyStream live video: a ComfyUI workflow on every frame of a stream in and "
                   "out over trickle",
                   s.streamCapacity});
  return out;
}

nlohmann::json Registrar::registrationBody(const RegistrationSettings& s, Capability c) {
  return registrationBody(
      s, {std::string(capabilityName(c)), std::string(capabilityDescription(c)), s.capacity});
}

nlohmann::json Registrar::registrationBody(const RegistrationSettings& s,
                                           const RegisteredCapability& c) {
  std::string url = s.capabilityUrl;
  // go-livepeer appends "/" + sub-path by string concatenation: no trailing slash.
  while (!url.empty() && url.back() == '/') url.pop_back();
  nlohmann::json body = {{"name", c.name},
                         {"description", c.description},
                         {"url", url},
                         {"capacity", c.capacity},
                         {"price_per_unit", s.pricePerUnit},
                         {"price_scaling", s.priceScaling},
                         {"currency", s.currency}};
  if (!s.workerToken.empty()) body["token"] = s.workerToken;
  return body;
}

std::string Registrar::post(const std::string& path, const std::string& body,
                            const std::string& contentType) {
  httplib::Client cli(base_);
  cli.set_connection_timeout(3);
  cli.set_read_timeout(5);
  cli.set_write_timeout(5);
  // go-livepeer's service port is TLS with a self-signed certificate by default.
  cli.enable_server_certificate_verification(!settings_.insecure);
  const httplib::Headers headers = {{"Authorization", settings_.orchSecret}};
  const auto res = cli.Post(prefix_ + path, headers, body, contentType.c_str());
  if (!res) {
    std::string why = httplib::to_string(res.error());
    if (res.error() == httplib::Error::SSLServerVerification)
      why += " (a self-signed orchestrator certificate needs --orch-insecure)";
    return "no answer from " + base_ + prefix_ + path + ": " + why;
  }
  if (res->status == 200) return "";
  std::string text = res->body.substr(0, 200);
  text.erase(std::remove(text.begin(), text.end(), '\n'), text.end());
  if (res->status == 400 && text.find("authorization") != std::string::npos)
    return "HTTP 400 from " + base_ + prefix_ + path + ": " + text + " (check --orch-secret)";
  return "HTTP " + std::to_string(res->status) + " from " + base_ + prefix_ + path + ": " + text;
}

std::string Registrar::registerOnce(Capability c) {
  return post("/capability/register", registrationBody(settings_, c).dump(), "application/json");
}

std::string Registrar::unregisterOnce(Capability c) {
  return post("/capability/unregister", std::string(capabilityName(c)), "text/plain");
}

std::string Registrar::registerOnce(const RegisteredCapability& c) {
  return post("/capability/register", registrationBody(settings_, c).dump(), "application/json");
}

std::string Registrar::unregisterOnce(const RegisteredCapability& c) {
  return post("/capability/unregister", c.name, "text/plain");
}

void Registrar::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void Registrar::run() {
  using std::chrono::seconds;
  const seconds interval = std::max(settings_.interval, seconds(1));
  const seconds maxBackoff = std::min(interval, seconds(60));
  int failures = 0;
  bool registered = false;
  const auto capabilities = registeredCapabilities(settings_);
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    std::string errors;
    for (const auto& c : capabilities) {
      const std::string err = registerOnce(c);
      if (!err.empty()) errors += (errors.empty() ? "" : "; ") + c.name + ": " + err;
    }
    lock.lock();
    if (stopping_) break;
    seconds wait = interval;
    if (errors.empty()) {
      if (!registered || failures > 0)
        spdlog::info(
            "BYOC: registered {} capabilities with {} (url {}, capacity {}); "
            "re-registering every {} s",
            capabilities.size(), settings_.orchUrl, settings_.capabilityUrl, settings_.capacity,
            interval.count());
      else
        spdlog::debug("BYOC: re-registered with {}", settings_.orchUrl);
      registered = true;
      failures = 0;
    } else {
      ++failures;
      wait = std::min(seconds(1LL << std::min(failures - 1, 6)), maxBackoff);
      spdlog::warn("BYOC: registration with {} failed (attempt {}), retrying in {} s: {}",
                   settings_.orchUrl, failures, wait.count(), errors);
    }
    cv_.wait_for(lock, wait, [this] { return stopping_; });
  }
}

void Registrar::stop(bool unregister) {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (!unregister) return;
  for (const auto& c : registeredCapabilities(settings_)) {
    const std::string err = unregisterOnce(c);
    if (err.empty())
      spdlog::info("BYOC: unregistered {} from {}", c.name, settings_.orchUrl);
    else
      spdlog::warn("BYOC: unregistering {} failed: {}", c.name, err);
  }
}

int runRegisterCommand(const RegistrationSettings& settings, bool unregister, int attempts) {
  std::unique_ptr<Registrar> r;
  try {
    r = std::make_unique<Registrar>(settings);
  } catch (const std::invalid_argument& e) {
    std::cerr << "comfystream register: --orch-url " << e.what() << "\n";
    return 2;
  }
  int failed = 0;
  for (const auto& c : registeredCapabilities(settings)) {
    std::string err;
    for (int i = 0; i < attempts; ++i) {
      if (i > 0) std::this_thread::sleep_for(std::chrono::seconds(2));
      err = unregister ? r->unregisterOnce(c) : r->registerOnce(c);
      if (err.empty()) break;
    }
    if (err.empty()) {
      std::cout << (unregister ? "unregistered " : "registered ") << c.name
                << (unregister ? " from " : " with ") << settings.orchUrl
                << (unregister ? "" : " (url " + settings.capabilityUrl + ")") << "\n";
    } else {
      std::cerr << "comfystream register: " << c.name << ": " << err << "\n";
      ++failed;
    }
  }
  return failed ? 1 : 0;
}

}  // namespace cs
