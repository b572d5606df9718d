#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "ParseArgs.h"
#include "app/Config.h"

namespace cs {
namespace {

std::string lastError;

int parse(std::vector<std::string> args, Config& c) {
  auto r = test::parseArgs(std::move(args), c);
  lastError = std::move(r.stderrText);
  return r.rc;
}

TEST(ByocConfig, Defaults) {
  Config c;
  ASSERT_EQ(parse({"--port", "9000"}, c), -1) << lastError;
  EXPECT_EQ(c.command, Config::Command::Serve);
  EXPECT_EQ(std::filesystem::path(c.byoc.stateDir),
            std::filesystem::path(".") / ".comfystream-state");
  EXPECT_EQ(c.byoc.capacity, 1u);
  EXPECT_EQ(c.byoc.sessionTtl, std::chrono::seconds(300));
  EXPECT_EQ(c.byoc.connectTimeout, std::chrono::seconds(30));
  EXPECT_EQ(c.byoc.retention, std::chrono::seconds(86400));
  EXPECT_EQ(c.registration.orchUrl, "");
  EXPECT_EQ(c.registration.capabilityUrl, "http://127.0.0.1:9000");
  EXPECT_EQ(c.registration.currency, "wei");
  EXPECT_EQ(c.registration.pricePerUnit, 0);
  EXPECT_EQ(c.registration.priceScaling, 1);
  EXPECT_EQ(c.registration.interval, std::chrono::seconds(30));
  EXPECT_FALSE(c.registration.insecure);

  Config w;
  ASSERT_EQ(parse({"--workspace", "/srv/comfy"}, w), -1) << lastError;
  EXPECT_EQ(w.byoc.stateDir, "/srv/comfy/.comfystream-state");
}

TEST(ByocConfig, RegistrationFlagsAndTheSubcommand) {
  Config c;
  ASSERT_EQ(parse({"register",
                   "--unregister",
                   "--orch-url",
                   "https://orch:8935",
                   "--orch-secret",
                   "s",
                   "--capability-url",
                   "http://worker:8889/",
                   "--capacity",
                   "3",
                   "--price-per-unit",
                   "5",
                   "--price-scaling",
                   "10",
                   "--currency",
                   "eth",
                   "--worker-token",
                   "tok",
                   "--orch-insecure",
                   "--register-interval",
                   "7"},
                  c),
            -1)
      << lastError;
  EXPECT_EQ(c.command, Config::Command::Register);
  EXPECT_TRUE(c.unregister);
  const auto& r = c.registration;
  EXPECT_EQ(r.orchUrl, "https://orch:8935");
  EXPECT_EQ(r.orchSecret, "s");
  EXPECT_EQ(r.capabilityUrl, "http://worker:8889");
  EXPECT_EQ(r.capacity, 3u);
  EXPECT_EQ(c.byoc.capacity, 3u);
  EXPECT_EQ(r.pricePerUnit, 5);
  EXPECT_EQ(r.priceScaling, 10);
  EXPECT_EQ(r.currency, "eth");
  EXPECT_EQ(r.workerToken, "tok");
  EXPECT_EQ(c.byoc.workerToken, "tok");
  EXPECT_TRUE(r.insecure);
  EXPECT_EQ(r.interval, std::chrono::seconds(7));
}

TEST(ByocConfig, SessionConnectTimeout) {
  Config c;
  ASSERT_EQ(parse({"--session-connect-timeout", "2", "--session-ttl", "60"}, c), -1) << lastError;
  EXPECT_EQ(c.byoc.connectTimeout, std::chrono::seconds(2));
  EXPECT_EQ(c.byoc.sessionTtl, std::chrono::seconds(60));
  Config off;
  ASSERT_EQ(parse({"--session-connect-timeout", "0"}, off), -1) << lastError;
  EXPECT_EQ(off.byoc.connectTimeout, std::chrono::seconds(0));
}

TEST(ByocConfig, SecretFromAFile) {
  const auto file = std::filesystem::temp_directory_path() / "cs-byoc-secret-test";
  std::ofstream(file) << "from-file\n";
  Config c;
  ASSERT_EQ(parse({"--orch-url", "http://o:1", "--orch-secret", file.string()}, c), -1)
      << lastError;
  EXPECT_EQ(c.registration.orchSecret, "from-file");
  std::filesystem::remove(file);
}

TEST(ByocConfig, BadValuesStopStartUp) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--orch-url", "http://o:1"}, "--orch-secret"},
      {{"--orch-url", "orch:8935", "--orch-secret", "s"}, "--orch-url"},
      {{"--capability-url", "worker:8889"}, "--capability-url"},
      {{"--byoc-public-url", "worker"}, "--byoc-public-url"},
      {{"register"}, "--orch-url"},
      {{"--capacity", "0"}, "--capacity"},
      {{"--price-per-unit", "-1"}, "--price-per-unit"},
      {{"--register-interval", "0"}, "--register-interval"},
  };
  for (const auto& [args, says] : cases) {
    Config c;
    EXPECT_EQ(parse(args, c), 2) << says;
    EXPECT_NE(lastError.find(says), std::string::npos) << lastError;
  }
}

}  // namespace
}  // namespace cs
