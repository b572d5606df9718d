// SessionStore under faults: writes that cannot commit, a store that can be read but not written
// (full disk, restart), no shared-memory file (no SIGBUS), space given back after deletions.
// Real SQLite on real files; the fault is a file size limit (see StoreFaults.h for why).
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "StoreFaults.h"
#include "byoc/SessionStore.h"

namespace cs {
namespace {

namespace fs = std::filesystem;

ByocSession session(const std::string& id, size_t resultBytes = 0) {
  ByocSession s;
  s.id = id;
  s.capability = Capability::Video;
  s.status = SessionStatus::Ready;
  s.createdAt = s.updatedAt = 100;
  s.streamId = id;
  s.prompts = nlohmann::json::array();
  s.result = {{"session_id", id}, {"pad", std::string(resultBytes, 'x')}};
  return s;
}

// sid(i) trips GCC 12's -Wrestrict false positive at -O3.
std::string sid(int i) {
  std::string out = "s";
  out += std::to_string(i);
  return out;
}

std::vector<std::string> ids(const std::vector<ByocSession>& all) {
  std::vector<std::string> out;
  for (const auto& s : all) out.push_back(s.id);
  return out;
}

class ByocStoreFaults : public testing::Test {
 protected:
  void SetUp() override { dir_ = test::uniqueTempDir("cs-store-faults-"); }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path db() const { return SessionStore::databasePath(dir_); }
  fs::path dir_;
};

TEST_F(ByocStoreFaults, WritesThatCannotCommitThrowAndChangeNothing) {
  {
    SessionStore store(dir_);
    store.put(session("a"));
    store.put(session("b"));
    {
      test::NoFileMayGrow full;
      EXPECT_THROW(store.put(session("c")), StoreError);
      EXPECT_THROW(store.remove("a"), StoreError);
      auto b = session("b");
      b.end(SessionStatus::Completed, "x", 200);
      EXPECT_THROW(store.put(b), StoreError);
      // What the connection reads is what is committed.
      EXPECT_EQ(ids(store.loadAll()), (std::vector<std::string>{"a", "b"}));
    }
    // The same connection works again once the disk does.
    store.put(session("d"));
    EXPECT_EQ(ids(store.loadAll()), (std::vector<std::string>{"a", "b", "d"}));
  }
  SessionStore store(dir_);
  const auto all = store.loadAll();
  EXPECT_EQ(ids(all), (std::vector<std::string>{"a", "b", "d"}));
  EXPECT_EQ(all[1].status, SessionStatus::Ready);
}

TEST_F(ByocStoreFaults, OpensAndReadsWhenNothingCanBeWritten) {
  {
    SessionStore store(dir_);
    for (int i = 0; i < 5; ++i) store.put(session(sid(i)));
  }
  test::NoFileMayGrow full;
  SessionStore store(dir_);  // a restart on a full disk: opens, never "empty"
  EXPECT_EQ(store.loadAll().size(), 5u);
  EXPECT_THROW(store.put(session("new")), StoreError);
  EXPECT_THROW(store.remove("s0"), StoreError);
  EXPECT_EQ(store.loadAll().size(), 5u);
}

TEST_F(ByocStoreFaults, ACrashedStoreIsReadWhenNothingCanBeWritten) {
  {
    SessionStore store(dir_);
    store.put(session("before"));
  }
  // A process commits (into the WAL) and dies without a checkpoint: the committed rows are only
  // in sessions.db-wal.
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    try {
      SessionStore store(dir_);
      store.put(session("in-wal-1"));
      store.put(session("in-wal-2"));
      ::_exit(0);  // no destructor: no checkpoint
    } catch (...) {
    }
    ::_exit(3);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_GT(fs::file_size(db().string() + "-wal"), 0u);

  test::NoFileMayGrow full;
  SessionStore store(dir_);
  EXPECT_EQ(ids(store.loadAll()), (std::vector<std::string>{"before", "in-wal-1", "in-wal-2"}));
}

TEST_F(ByocStoreFaults, NoSharedMemoryFileIsCreatedOrOpened) {
  {
    SessionStore store(dir_);
    for (int i = 0; i < 20; ++i) store.put(session(sid(i)));
    store.remove("s3");
    EXPECT_TRUE(fs::exists(db().string() + "-wal"));
    EXPECT_FALSE(fs::exists(db().string() + "-shm"));
  }
  // Something unusable where SQLite would put its WAL index (a directory cannot be opened,
  // let alone mapped): the store does not care, because it never opens it.
  fs::create_directory(db().string() + "-shm");
  SessionStore store(dir_);
  store.put(session("after"));
  EXPECT_EQ(store.loadAll().size(), 20u);
}

// The fault that raised SIGBUS: a mapped -shm whose pages have no backing (here: truncated under
// the mapping, as a full file system or another process can leave it). Run in a child, so a
// signal is reported as a failure instead of ending the test run.
TEST_F(ByocStoreFaults, NoSignalFromTheSharedMemoryFile) {
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    try {
      SessionStore store(dir_);
      for (int i = 0; i < 50; ++i) {
        store.put(session(sid(i)));
        std::error_code ec;
        fs::resize_file(db().string() + "-shm", 0, ec);  // absent: nothing to truncate
        if (i % 10 == 0) store.loadAll();
      }
    } catch (...) {
      ::_exit(3);
    }
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_FALSE(WIFSIGNALED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(ByocStoreFaults, DeletingSessionsGivesTheSpaceBack) {
  SessionStore store(dir_);
  constexpr int kSessions = 200;
  store.transaction([&] {
    for (int i = 0; i < kSessions; ++i) store.put(session(sid(i), 16 * 1024));
  });
  store.reclaim();
  const auto full = test::storeBytes(db());
  EXPECT_GT(full, 200u * 16 * 1024);
  for (int i = 0; i < kSessions; ++i) ASSERT_TRUE(store.remove(sid(i)));
  const auto empty = test::storeBytes(db());
  std::cout << "[ store ] " << kSessions << " sessions of 16 KiB: " << full << " bytes on disk; "
            << "after deleting them: " << empty << " bytes\n";
  EXPECT_LT(empty, full / 20);
  EXPECT_FALSE(fs::exists(db().string() + "-wal") && fs::file_size(db().string() + "-wal") > 0);
}

TEST_F(ByocStoreFaults, AnOlderStoreIsConvertedToIncrementalVacuum) {
  fs::create_directories(dir_);
  {  // a store as the first version wrote it: no auto_vacuum
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db().c_str(), &h), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(h,
                           "PRAGMA journal_mode=WAL; CREATE TABLE sessions (id TEXT PRIMARY KEY, "
                           "capability TEXT NOT NULL, status TEXT NOT NULL, created_at REAL NOT "
                           "NULL, updated_at REAL NOT NULL, ended_at REAL, ended_reason TEXT NOT "
                           "NULL DEFAULT '', error TEXT NOT NULL DEFAULT '', stream_id TEXT NOT "
                           "NULL, width INTEGER NOT NULL, height INTEGER NOT NULL, prompts TEXT "
                           "NOT NULL, result TEXT NOT NULL); PRAGMA user_version=1;",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(h);
  }
  {
    SessionStore store(dir_);
    store.put(session("a"));
  }
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db().c_str(), &h, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(h, "PRAGMA auto_vacuum", -1, &st, nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 2);  // incremental
  sqlite3_finalize(st);
  sqlite3_close(h);
}

}  // namespace
}  // namespace cs
