#pragma once
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "rtc/IceServer.h"

namespace cs {

// The ICE servers advertised in Link headers: the configured ones, plus TURN servers from
// Twilio's Network Traversal token API when TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN are set (as the
// original server does). Twilio credentials are cached for half their TTL.
class IceServerProvider {
 public:
  struct Twilio {
    std::string baseUrl;  // https://api.twilio.com, or a local stand-in in tests
    std::string accountSid;
    std::string authToken;
  };

  IceServerProvider(std::vector<IceServer> configured, Twilio twilio);
  std::vector<IceServer> current();

  // Parses a Twilio token response; keeps only turn:/turns: URLs, as the original does.
  static std::vector<IceServer> parseTwilioToken(const std::string& json,
                                                 std::chrono::seconds& ttl);

 private:
  std::vector<IceServer> fetchTwilio(std::chrono::seconds& ttl);

  const std::vector<IceServer> configured_;
  const Twilio twilio_;
  std::mutex mu_;
  std::vector<IceServer> turn_;
  std::chrono::steady_clock::time_point refreshAt_{};
};

}  // namespace cs
