#include "rtc/IceServerProvider.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <thread>

namespace cs {
namespace {

// A local stand-in for Twilio's token API: POST /2010-04-01/Accounts/{sid}/Tokens.json with
// HTTP Basic auth answers 201 with ice_servers.
class TwilioStandIn {
 public:
  TwilioStandIn() {
    server_.Post(R"(/2010-04-01/Accounts/(\w+)/Tokens\.json)",
                 [this](const httplib::Request& req, httplib::Response& res) {
                   requests++;
                   authorization = req.get_header_value("Authorization");
                   sid = req.matches[1];
                   res.status = 201;
                   res.set_content(R"({"ttl": "86400", "ice_servers": [
                     {"url": "stun:global.stun.twilio.com:3478", "urls": "stun:global.stun.twilio.com:3478"},
                     {"url": "turn:global.turn.twilio.com:3478?transport=udp", "username": "tw-user",
                      "urls": "turn:global.turn.twilio.com:3478?transport=udp", "credential": "tw-pass"}]})",
                                   "application/json");
                 });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~TwilioStandIn() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  std::atomic<int> requests{0};
  std::string authorization, sid;

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

TEST(IceServerProvider, WithoutTwilioOnlyTheConfiguredServers) {
  IceServerProvider p({IceServer::parse("stun:127.0.0.1:3478")}, {});
  const auto all = p.current();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].url, "stun:127.0.0.1:3478");
}

TEST(IceServerProvider, AddsTwilioTurnServersAndCachesThem) {
  TwilioStandIn twilio;
  IceServerProvider p({IceServer::parse("stun:127.0.0.1:3478")}, {twilio.url(), "AC123", "tok"});
  const auto all = p.current();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].url, "turn:global.turn.twilio.com:3478?transport=udp");
  EXPECT_EQ(all[1].username, "tw-user");
  EXPECT_EQ(all[1].credential, "tw-pass");
  EXPECT_EQ(twilio.sid, "AC123");
  EXPECT_EQ(twilio.authorization, "Basic QUMxMjM6dG9r");  // base64("AC123:tok")
  p.current();
  EXPECT_EQ(twilio.requests, 1);
}

TEST(IceServerProvider, TwilioFailureKeepsTheConfiguredServers) {
  IceServerProvider p({IceServer::parse("stun:127.0.0.1:3478")},
                      {"http://127.0.0.1:1", "AC123", "tok"});
  EXPECT_EQ(p.current().size(), 1u);
}

}  // namespace
// Issue 7: Twilio's answer is not trusted with Link headers either.
TEST(IceServerProvider, TwilioServersWithControlCharactersAreDropped) {
  std::chrono::seconds ttl{};
  const auto servers = IceServerProvider::parseTwilioToken(
      R"({"ttl": "600", "ice_servers": [
           {"urls": "turn:good.example:3478", "username": "u", "credential": "c"},
           {"urls": "turn:bad.example:3478", "username": "u\r\nX-Evil: 1", "credential": "c"},
           {"urls": "turn:bad2.example:3478>", "username": "u", "credential": "c"}]})",
      ttl);
  ASSERT_EQ(servers.size(), 1u);
  EXPECT_EQ(servers[0].url, "turn:good.example:3478");
}

}  // namespace cs
