#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "ParseArgs.h"
#include "app/Config.h"

namespace cs {
namespace {

namespace fs = std::filesystem;

fs::path scratch() {
  return fs::temp_directory_path() / ("cs-record-config-" + std::to_string(::getpid()));
}

TEST(RecordConfig, DefaultsToTheWorkspaceAndTouchesNothing) {
  fs::remove_all(scratch());
  Config c;
  ASSERT_EQ(test::parseArgs({"--workspace", scratch().string()}, c).rc, -1);
  EXPECT_FALSE(c.recording.recordEveryStream);
  EXPECT_EQ(c.recording.dir, scratch() / "recordings");
  EXPECT_FALSE(fs::exists(scratch()));  // not created until a recording is wanted
}

TEST(RecordConfig, RecordCreatesAndChecksTheDirectoryAtStartUp) {
  fs::remove_all(scratch());
  Config c;
  ASSERT_EQ(test::parseArgs({"--record", "--record-dir", (scratch() / "rec").string()}, c).rc, -1);
  EXPECT_TRUE(c.recording.recordEveryStream);
  EXPECT_EQ(c.recording.dir, scratch() / "rec");
  EXPECT_TRUE(fs::is_directory(scratch() / "rec"));
  fs::remove_all(scratch());
}

TEST(RecordConfig, AnUnwritableDirectoryStopsStartUpWithTheReason) {
  fs::remove_all(scratch());
  fs::create_directories(scratch());
  std::ofstream(scratch() / "file") << "x";
  for (const bool record : {true, false}) {
    Config c;
    std::vector<std::string> args{"--record-dir", (scratch() / "file" / "rec").string()};
    if (record) args.push_back("--record");
    const auto r = test::parseArgs(args, c);
    EXPECT_EQ(r.rc, 2);
    EXPECT_EQ(std::count(r.stderrText.begin(), r.stderrText.end(), '\n'), 1) << r.stderrText;
    EXPECT_NE(r.stderrText.find("--record-dir: cannot create the recording directory"),
              std::string::npos)
        << r.stderrText;
    EXPECT_NE(r.stderrText.find("Not a directory"), std::string::npos) << r.stderrText;
  }
  fs::remove_all(scratch());
}

}  // namespace
}  // namespace cs
