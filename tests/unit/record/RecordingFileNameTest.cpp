#include "record/RecordingFileName.h"

#include <gtest/gtest.h>

#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <string>

#include "record/RecordingSettings.h"

namespace cs {
namespace {

TEST(RecordingFileName, StreamTimeAndShortId) {
  // 2024-01-31 23:59:59 UTC
  const auto t = std::chrono::system_clock::from_time_t(1706745599);
  EXPECT_EQ(recordingFileName("cam-1", t, "0123abcd", "mkv"),
            "cam-1-20240131T235959Z-0123abcd.mkv");
}

TEST(RecordingFileName, StreamIdsBecomeSafeFileNameParts) {
  EXPECT_EQ(fileNamePart("studio.A_b-9"), "studio.A_b-9");
  EXPECT_EQ(fileNamePart("../../etc/passwd"), "_._.._etc_passwd");  // no directory, no leading dot
  EXPECT_EQ(fileNamePart(".hidden"), "_hidden");
  EXPECT_EQ(fileNamePart("-rf"), "_rf");  // not an option to the tools that list the folder
  EXPECT_EQ(fileNamePart("a/b\\c d"), "a_b_c_d");
  EXPECT_EQ(fileNamePart("caméra 東京"), "cam_ra_");  // one '_' per run of other bytes
  EXPECT_EQ(fileNamePart(""), "stream");
  EXPECT_EQ(fileNamePart("/"), "_");
  EXPECT_EQ(fileNamePart(std::string(256, 'x')).size(), 64u);
  EXPECT_EQ(fileNamePart(std::string(300, '\xff'), 64), "_");
}

TEST(RecordingSettings, CreatesTheDirectoryAndWritesIntoIt) {
  namespace fs = std::filesystem;
  const fs::path base = fs::temp_directory_path() / ("cs-recdir-" + std::to_string(::getpid()));
  fs::remove_all(base);
  RecordingSettings ok{base / "a" / "b"};
  EXPECT_EQ(ok.checkWritable(), "");
  EXPECT_TRUE(fs::is_directory(base / "a" / "b"));
  EXPECT_TRUE(fs::is_empty(base / "a" / "b"));  // the probe file is gone

  // A path through a regular file cannot be a directory, for root too.
  std::ofstream(base / "file") << "x";
  RecordingSettings bad{base / "file" / "recordings"};
  const std::string why = bad.checkWritable();
  EXPECT_NE(why.find("cannot create the recording directory"), std::string::npos) << why;
  EXPECT_NE(why.find((base / "file" / "recordings").string()), std::string::npos) << why;
  EXPECT_NE(why.find("Not a directory"), std::string::npos) << why;

  RecordingSettings notDir{base / "file"};
  EXPECT_NE(notDir.checkWritable().find("not a directory"), std::string::npos);
  EXPECT_NE(RecordingSettings{}.checkWritable(), "");
  fs::remove_all(base);
}

}  // namespace
}  // namespace cs
