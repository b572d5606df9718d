#include "ParseArgs.h"
#include "app/Config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace cs {
namespace {

std::string lastError;

int parse(std::vector<std::string> args, Config& c) {
  auto r = test::parseArgs(std::move(args), c);
  lastError = std::move(r.stderrText);
  return r.rc;
}

TEST(Config, DefaultsMatchTheSeeds) {
  Config c;
  ASSERT_EQ(parse({}, c), -1);
  EXPECT_EQ(c.host, "127.0.0.1");
  EXPECT_EQ(c.port, 8889);
  EXPECT_EQ(c.videoBitrate, 2'000'000u);
  ASSERT_EQ(c.iceServers.size(), 1u);
  EXPECT_EQ(c.iceServers[0].url, "stun:stun.l.google.com:19302");
  // Loopback host: media gathering stays on loopback too.
  EXPECT_EQ(c.mediaIp, "127.0.0.1");
}

TEST(Config, WildcardHostGathersEverywhere) {
  Config c;
  ASSERT_EQ(parse({"--host", "0.0.0.0"}, c), -1);
  EXPECT_EQ(c.mediaIp, "");
}

TEST(Config, RepeatableIceServersReplaceTheDefault) {
  Config c;
  ASSERT_EQ(
      parse({"--ice-server", "stun:127.0.0.1:3478", "--ice-server", "turn:u:p@127.0.0.1:3478"}, c),
      -1);
  ASSERT_EQ(c.iceServers.size(), 2u);
  EXPECT_EQ(c.iceServers[1].username, "u");
}

TEST(Config, BadValuesStopStartUpWithOneLine) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--port", "0"},
           {"--port", "70000"},
           {"--media-ports", "9000"},
           {"--media-ports", "9000-8000"},
           {"--video-bitrate", "fast"},
           {"--public-ip", "example.com"},
           {"--media-ip", "nope"},
           {"--ice-server", "stun.example.com"},
           {"--log-level", "loud"},
           {"--max-streams", "0"},
       }) {
    Config c;
    EXPECT_EQ(parse(args, c), 2) << args[0] << " " << args[1];
    EXPECT_EQ(std::count(lastError.begin(), lastError.end(), '\n'), 1) << lastError;
  }
}

TEST(Config, PortRangeAndBitrateParsers) {
  uint16_t lo = 0, hi = 0;
  parsePortRange("10000-10100", lo, hi);
  EXPECT_EQ(lo, 10000);
  EXPECT_EQ(hi, 10100);
  EXPECT_THROW(parsePortRange("a-b", lo, hi), std::invalid_argument);
  EXPECT_EQ(parseBitrate("1500k"), 1'500'000u);
  EXPECT_EQ(parseBitrate("2M"), 2'000'000u);
  EXPECT_EQ(parseBitrate("800000"), 800'000u);
  EXPECT_THROW(parseBitrate("10"), std::invalid_argument);
}

}  // namespace
TEST(Config, WorkflowLimitFlags) {
  Config d;
  ASSERT_EQ(parse({}, d), -1);
  EXPECT_EQ(d.workflowLimits.maxImageSide, 4096);
  EXPECT_EQ(d.workflowLimits.maxImagePixels, 4096 * 2160);
  EXPECT_EQ(d.workflowLimits.maxBatch, 16);
  EXPECT_EQ(d.workflowLimits.maxModelBytes, 2048ull << 20);
  EXPECT_EQ(d.warmupTimeoutSeconds, 15u);
  Config c;
  ASSERT_EQ(parse({"--max-image-size", "1024", "--max-image-pixels", "1000000", "--max-batch", "2",
                   "--max-model-size", "100", "--warmup-timeout", "5"},
                  c),
            -1);
  EXPECT_EQ(c.workflowLimits.maxImageSide, 1024);
  EXPECT_EQ(c.workflowLimits.maxImagePixels, 1000000);
  EXPECT_EQ(c.workflowLimits.maxBatch, 2);
  EXPECT_EQ(c.workflowLimits.maxModelBytes, 100ull << 20);
  EXPECT_EQ(c.warmupTimeoutSeconds, 5u);
  Config bad;
  EXPECT_NE(parse({"--max-image-size", "99999"}, bad), -1);
}

}  // namespace cs
