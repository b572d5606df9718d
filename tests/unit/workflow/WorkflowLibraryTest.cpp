#include "workflow/WorkflowLibrary.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "util/ControlError.h"

namespace cs {
namespace {

namespace fs = std::filesystem;

class WorkflowLibraryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/cs-library-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    root_ = dir;
    fs::create_directory(root_ / "workflows");
  }
  void TearDown() override { fs::remove_all(root_); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(root_ / "workflows" / name) << text;
  }
  std::vector<std::string> names(const WorkflowLibrary::Listing& l) {
    std::vector<std::string> out;
    // Appended, not `a + ":" + b`: GCC 12's -Wrestrict misfires on that (its bug 105329).
    for (const auto& e : l.workflows) out.emplace_back(e.name).append(":").append(e.source);
    return out;
  }
  fs::path root_;
};

TEST_F(WorkflowLibraryTest, ListsWhatLoadAccepts) {
  write("x.json", "{}");
  write("invert.json", "{}");  // shadows the built-in, as load() does
  write("bad name.json", "{}");
  write("a..b.json", "{}");
  write("notes.txt", "");
  fs::create_directory(root_ / "workflows" / "dir.json");
  const WorkflowLibrary lib(root_.string());
  const auto l = lib.list();
  EXPECT_EQ(names(l),
            (std::vector<std::string>{"invert:workspace", "passthrough:builtin", "x:workspace"}));
  EXPECT_FALSE(l.truncated);
  for (const auto& e : l.workflows) EXPECT_NO_THROW(lib.load(e.name)) << e.name;
  EXPECT_FALSE(lib.find("nope"));
  EXPECT_FALSE(lib.find("dir"));
  EXPECT_THROW(lib.find("a..b"), ControlError);
}

TEST_F(WorkflowLibraryTest, NoWorkspaceListsTheBuiltIns) {
  EXPECT_EQ(names(WorkflowLibrary("").list()),
            (std::vector<std::string>{"invert:builtin", "passthrough:builtin"}));
  EXPECT_EQ(names(WorkflowLibrary((root_ / "missing").string()).list()),
            (std::vector<std::string>{"invert:builtin", "passthrough:builtin"}));
}

TEST_F(WorkflowLibraryTest, TheListIsBoundedAndSorted) {
  for (int i = 0; i < 300; ++i)
    write(std::string("w").append(std::to_string(1000 + i)).append(".json"), "{}");
  const auto l = WorkflowLibrary(root_.string()).list();
  ASSERT_EQ(l.workflows.size(), WorkflowLibrary::kMaxListed);
  EXPECT_TRUE(l.truncated);
  EXPECT_EQ(l.workflows.front().name, "invert");
  EXPECT_TRUE(std::is_sorted(l.workflows.begin(), l.workflows.end(),
                             [](const auto& a, const auto& b) { return a.name < b.name; }));
}

TEST_F(WorkflowLibraryTest, AFileOverTheCapIsRefusedBeforeItIsRead) {
  write("big.json", "");
  fs::resize_file(root_ / "workflows" / "big.json", WorkflowLibrary::kMaxWorkflowFileBytes + 1);
  const WorkflowLibrary lib(root_.string());
  EXPECT_THROW(lib.find("big"), ControlError);
  EXPECT_EQ(names(lib.list()), (std::vector<std::string>{"invert:builtin", "passthrough:builtin"}));
}

}  // namespace
}  // namespace cs
