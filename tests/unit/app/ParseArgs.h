#pragma once
// Runs parseConfig() on a command line (without the program name) and keeps what it printed.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "app/Config.h"

namespace cs::test {

struct ParseResult {
  int rc;
  std::string stderrText;
};

inline ParseResult parseArgs(std::vector<std::string> args, Config& c) {
  args.insert(args.begin(), "comfystream");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  testing::internal::CaptureStderr();
  const int rc = parseConfig(static_cast<int>(argv.size()), argv.data(), c);
  return {rc, testing::internal::GetCapturedStderr()};
}

}  // namespace cs::test
