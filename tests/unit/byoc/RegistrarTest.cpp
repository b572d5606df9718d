#include "byoc/Registrar.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <mutex>
#include <thread>
#include <vector>

namespace cs {
namespace {

TEST(ByocRegistrar, SplitsBaseUrls) {
  EXPECT_EQ(splitBaseUrl("https://orch:8935"),
            std::make_pair(std::string("https://orch:8935"), std::string("")));
  EXPECT_EQ(splitBaseUrl("http://127.0.0.1:9/base/"),
            std::make_pair(std::string("http://127.0.0.1:9"), std::string("/base")));
  EXPECT_THROW(splitBaseUrl("orch:8935"), std::invalid_argument);
  EXPECT_THROW(splitBaseUrl("ftp://orch"), std::invalid_argument);
  EXPECT_THROW(splitBaseUrl("http://"), std::invalid_argument);
  EXPECT_THROW(splitBaseUrl("http://a/b?c"), std::invalid_argument);
}

TEST(ByocRegistrar, BodyIsGoLivepeersExternalCapability) {
  RegistrationSettings s;
  s.capabilityUrl = "http://worker:8889/";
  s.capacity = 2;
  s.pricePerUnit = 5;
  s.priceScaling = 3;
  s.currency = "wei";
  auto body = Registrar::registrationBody(s, Capability::WhipIngest);
  EXPECT_EQ(body["name"], "whip-ingest");
  EXPECT_EQ(body["url"], "http://worker:8889");  // no trailing slash: go-livepeer concatenates
  EXPECT_EQ(body["capacity"], 2);
  EXPECT_EQ(body["price_per_unit"], 5);
  EXPECT_EQ(body["price_scaling"], 3);
  EXPECT_EQ(body["currency"], "wei");
  EXPECT_TRUE(body["description"].is_string() && !body["description"].get<std::string>().empty());
  EXPECT_FALSE(body.contains("token"));
  s.workerToken = "tok";
  EXPECT_EQ(Registrar::registrationBody(s, Capability::Video)["token"], "tok");
}

TEST(ByocRegistrar, TheLiveVideoCapabilityIsRegisteredWithItsOwnCapacity) {
  RegistrationSettings s;
  s.capabilityUrl = "http://worker:8889";
  s.capacity = 2;
  EXPECT_EQ(registeredCapabilities(s).size(), 3u);  // no stream capability named: jobs only
  s.streamCapability = "comfystream";
  s.streamCapacity = 4;
  const auto caps = registeredCapabilities(s);
  ASSERT_EQ(caps.size(), 4u);
  EXPECT_EQ(caps.back().name, "comfystream");
  const auto body = Registrar::registrationBody(s, caps.back());
  EXPECT_EQ(body["name"], "comfystream");
  EXPECT_EQ(body["capacity"], 4);
  // The orchestrator posts {url}/stream/start: the worker's base URL.
  EXPECT_EQ(body["url"], "http://worker:8889");
  EXPECT_EQ(Registrar::registrationBody(s, caps.front())["capacity"], 2);
}

// A minimal orchestrator: checks the raw secret as go-livepeer does (400 on mismatch).
class FakeOrchestrator {
 public:
  FakeOrchestrator() {
    server_.Post("/capability/register",
                 [this](const httplib::Request& req, httplib::Response& res) {
                   if (req.get_header_value("Authorization") != "secret") {
                     res.status = 400;
                     res.set_content("invalid authorization", "text/plain");
                     return;
                   }
                   std::lock_guard lock(mu_);
                   registered.push_back(nlohmann::json::parse(req.body));
                   contentTypes.push_back(req.get_header_value("Content-Type"));
                   res.set_content("ok", "application/json");
                 });
    server_.Post("/capability/unregister",
                 [this](const httplib::Request& req, httplib::Response& res) {
                   std::lock_guard lock(mu_);
                   unregistered.push_back(req.body);
                   res.set_content("ok", "application/json");
                 });
    port = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~FakeOrchestrator() {
    server_.stop();
    thread_.join();
  }
  size_t registrations() {
    std::lock_guard lock(mu_);
    return registered.size();
  }

  int port = 0;
  std::mutex mu_;
  std::vector<nlohmann::json> registered;
  std::vector<std::string> contentTypes;
  std::vector<std::string> unregistered;

 private:
  httplib::Server server_;
  std::thread thread_;
};

TEST(ByocRegistrar, RegistersWithTheRawSecretAndUnregistersByName) {
  FakeOrchestrator orch;
  RegistrationSettings s;
  s.orchUrl = "http://127.0.0.1:" + std::to_string(orch.port);
  s.orchSecret = "secret";
  s.capabilityUrl = "http://127.0.0.1:8889";
  Registrar r(s);
  EXPECT_EQ(r.registerOnce(Capability::Video), "");
  ASSERT_EQ(orch.registered.size(), 1u);
  EXPECT_EQ(orch.registered[0]["name"], "comfystream-video");
  EXPECT_EQ(orch.contentTypes[0], "application/json");
  EXPECT_EQ(r.unregisterOnce(Capability::Video), "");
  ASSERT_EQ(orch.unregistered.size(), 1u);
  EXPECT_EQ(orch.unregistered[0], "comfystream-video");

  s.orchSecret = "wrong";
  Registrar bad(s);
  const auto err = bad.registerOnce(Capability::Video);
  EXPECT_NE(err.find("400"), std::string::npos) << err;
  EXPECT_NE(err.find("--orch-secret"), std::string::npos) << err;
}

TEST(ByocRegistrar, ReRegistersPeriodicallyAndUnregistersOnStop) {
  FakeOrchestrator orch;
  RegistrationSettings s;
  s.orchUrl = "http://127.0.0.1:" + std::to_string(orch.port);
  s.orchSecret = "secret";
  s.capabilityUrl = "http://127.0.0.1:8889";
  s.interval = std::chrono::seconds(1);
  Registrar r(s);
  r.start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (orch.registrations() < 6 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  r.stop(/*unregister=*/true);
  EXPECT_GE(orch.registrations(), 6u);  // two rounds of three capabilities
  std::lock_guard lock(orch.mu_);
  EXPECT_EQ(orch.unregistered,
            (std::vector<std::string>{"comfystream-video", "whip-ingest", "whep-subscribe"}));
}

TEST(ByocRegistrar, AnUnreachableOrchestratorIsReported) {
  RegistrationSettings s;
  s.orchUrl = "http://127.0.0.1:9";  // discard port: nothing listens
  s.orchSecret = "secret";
  s.capabilityUrl = "http://127.0.0.1:8889";
  Registrar r(s);
  const auto err = r.registerOnce(Capability::Video);
  EXPECT_NE(err.find("no answer"), std::string::npos) << err;
  EXPECT_EQ(runRegisterCommand(s, false, 1), 1);
}

}  // namespace
}  // namespace cs
