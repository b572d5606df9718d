#include "rtc/IceServerProvider.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "util/JsonLimits.h"
#include "util/LogEscape.h"

namespace cs {

IceServerProvider::IceServerProvider(std::vector<IceServer> configured, Twilio twilio)
    : configured_(std::move(configured)), twilio_(std::move(twilio)) {}

std::vector<IceServer> IceServerProvider::parseTwilioToken(const std::string& body,
                                                           std::chrono::seconds& ttl) {
  std::vector<IceServer> out;
  const auto j = parseJsonBounded(body);
  ttl = std::chrono::seconds(86400);
  if (j.contains("ttl")) {
    const auto& t = j["ttl"];
    ttl = std::chrono::seconds(t.is_string() ? std::stol(t.get<std::string>()) : t.get<long>());
  }
  for (const auto& s : j.value("ice_servers", nlohmann::json::array())) {
    const std::string url =
        s.contains("urls") ? s["urls"].get<std::string>() : s.value("url", std::string());
    if (!url.starts_with("turn:") && !url.starts_with("turns:")) continue;
    IceServer server{url, s.value("username", std::string()), s.value("credential", std::string())};
    // These go into Link headers: CR/LF or '<'/'>' would inject headers or break the value.
    if (!server.isSafe()) {
      spdlog::warn("ICE: ignoring a Twilio TURN server with characters not allowed ({})",
                   logSafe(url, 80));
      continue;
    }
    out.push_back(std::move(server));
  }
  return out;
}

std::vector<IceServer> IceServerProvider::fetchTwilio(std::chrono::seconds& ttl) {
  httplib::Client cli(twilio_.baseUrl);
  cli.set_connection_timeout(3);
  cli.set_read_timeout(5);
  cli.set_basic_auth(twilio_.accountSid, twilio_.authToken);
  const auto res = cli.Post("/2010-04-01/Accounts/" + twilio_.accountSid + "/Tokens.json", "",
                            "application/x-www-form-urlencoded");
  if (!res) throw std::runtime_error("no answer (" + httplib::to_string(res.error()) + ")");
  if (res->status != 201 && res->status != 200)
    throw std::runtime_error("HTTP " + std::to_string(res->status));
  return parseTwilioToken(res->body, ttl);
}

std::vector<IceServer> IceServerProvider::current() {
  std::vector<IceServer> all = configured_;
  if (twilio_.accountSid.empty() || twilio_.authToken.empty()) return all;
  std::lock_guard lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  if (now >= refreshAt_) {
    try {
      std::chrono::seconds ttl{};
      turn_ = fetchTwilio(ttl);
      refreshAt_ = now + ttl / 2;
      spdlog::info("ICE: fetched {} TURN server(s) from Twilio", turn_.size());
    } catch (const std::exception& e) {
      // Keep serving the last good credentials; try again in a minute.
      refreshAt_ = now + std::chrono::minutes(1);
      spdlog::warn("ICE: Twilio TURN fetch failed: {}", e.what());
    }
  }
  all.insert(all.end(), turn_.begin(), turn_.end());
  return all;
}

}  // namespace cs
