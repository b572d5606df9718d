#include "byoc/SessionStore.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <random>

namespace cs {
namespace {

namespace fs = std::filesystem;

class SessionStoreTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cs-store-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(std::random_device{}()));
  }
  void TearDown() override { fs::remove_all(dir_); }

  static ByocSession session(const std::string& id, double createdAt = 100) {
    ByocSession s;
    s.id = id;
    s.capability = Capability::Video;
    s.status = SessionStatus::Ready;
    s.createdAt = s.updatedAt = createdAt;
    s.streamId = id;
    s.width = 640;
    s.height = 360;
    s.prompts = nlohmann::json::array({{{"1", {{"class_type", "LoadTensor"}}}}});
    s.result = {{"pipeline_ready", true}, {"session_id", id}};
    return s;
  }

  fs::path dir_;
};

// What SessionStore wrote, read back by a plain sqlite3 connection (no lock needed to read).
int rowCount(const fs::path& db) {
  sqlite3* h = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(h, "SELECT count(*) FROM sessions", -1, &st, nullptr);
  int n = -1;
  if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(h);
  return n;
}

TEST_F(SessionStoreTest, CreatesTheDirectoryAndReloadsEveryField) {
  {
    SessionStore store(dir_ / "nested");
    auto a = session("a", 100);
    auto b = session("b", 200);
    b.capability = Capability::WhepSubscribe;
    b.status = SessionStatus::Connected;
    b.prompts = nullptr;
    b.end(SessionStatus::Failed, "media ended: the viewer never connected", 250);
    store.put(a);
    store.put(b);
    a.transition(SessionStatus::Processing, 150);
    store.put(a);  // replaces, does not duplicate
  }
  EXPECT_TRUE(fs::exists(dir_ / "nested" / "sessions.db"));
  SessionStore store(dir_ / "nested");
  const auto all = store.loadAll();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, "a");
  EXPECT_EQ(all[0].status, SessionStatus::Processing);
  EXPECT_EQ(all[0].updatedAt, 150);
  EXPECT_FALSE(all[0].endedAt);
  EXPECT_EQ(all[0].width, 640);
  EXPECT_EQ(all[0].height, 360);
  EXPECT_EQ(all[0].prompts, session("a").prompts);
  EXPECT_EQ(all[0].result, session("a").result);
  EXPECT_EQ(all[1].capability, Capability::WhepSubscribe);
  EXPECT_EQ(all[1].status, SessionStatus::Failed);
  EXPECT_EQ(*all[1].endedAt, 250);
  EXPECT_EQ(all[1].endedReason, "media ended: the viewer never connected");
  EXPECT_EQ(all[1].error, "media ended: the viewer never connected");
  EXPECT_TRUE(all[1].prompts.is_null());
}

TEST_F(SessionStoreTest, KeepsTextPromptsAndMigratesASchemaOneStore) {
  {
    SessionStore store(dir_);
    auto a = session("a");
    a.textPrompts = nlohmann::json::parse(R"([{"text": "a beautiful sunset", "weight": 1.0}])");
    store.put(a);
  }
  EXPECT_EQ(SessionStore(dir_).loadAll().at(0).textPrompts[0]["text"], "a beautiful sunset");
  fs::remove_all(dir_);
  // A store written by the previous release: no text_prompts column, user_version 1.
  fs::create_directories(dir_);
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(SessionStore::databasePath(dir_).c_str(), &h), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(h,
                         "CREATE TABLE sessions (id TEXT PRIMARY KEY, capability TEXT NOT NULL, "
                         "status TEXT NOT NULL, created_at REAL NOT NULL, updated_at REAL NOT "
                         "NULL, ended_at REAL, ended_reason TEXT NOT NULL DEFAULT '', error TEXT "
                         "NOT NULL DEFAULT '', stream_id TEXT NOT NULL, width INTEGER NOT NULL, "
                         "height INTEGER NOT NULL, prompts TEXT NOT NULL, result TEXT NOT NULL);"
                         "INSERT INTO sessions VALUES ('old', 'comfystream-video', 'ready', 1, 1, "
                         "NULL, '', '', 'old', 512, 512, '{}', '{}');"
                         "PRAGMA user_version=1;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(h);
  SessionStore store(dir_);
  auto all = store.loadAll();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].textPrompts, nlohmann::json::array());
  auto b = session("b");
  b.textPrompts = nlohmann::json::parse(R"([{"text": "x", "weight": 0.5}])");
  store.put(b);
  all = store.loadAll();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].textPrompts[0]["weight"], 0.5);
}

TEST_F(SessionStoreTest, RemoveForgets) {
  SessionStore store(dir_);
  store.put(session("a"));
  EXPECT_TRUE(store.remove("a"));
  EXPECT_FALSE(store.remove("a"));
  EXPECT_TRUE(store.loadAll().empty());
}

TEST_F(SessionStoreTest, TransactionIsAllOrNothing) {
  SessionStore store(dir_);
  store.put(session("kept"));
  EXPECT_THROW(store.transaction([&] {
    store.put(session("x"));
    auto y = session("kept");
    y.status = SessionStatus::Processing;
    store.put(y);
    throw std::runtime_error("fails half way");
  }),
               std::runtime_error);
  auto all = store.loadAll();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].id, "kept");
  EXPECT_EQ(all[0].status, SessionStatus::Ready);  // the update inside was rolled back too
  // And the store still works afterwards.
  store.transaction([&] {
    store.put(session("x"));
    store.put(session("y"));
  });
  EXPECT_EQ(store.loadAll().size(), 3u);
}

TEST_F(SessionStoreTest, ACrashMidWriteLeavesTheLastCommittedRecords) {
  {
    SessionStore store(dir_);
    store.put(session("committed"));
  }
  // A child process opens the store, writes inside a transaction and dies before the commit
  // (no destructors, no rollback): as a crash or SIGKILL would.
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    try {
      SessionStore store(dir_);
      store.transaction([&] {
        auto s = session("committed");
        s.status = SessionStatus::Processing;
        store.put(s);
        store.put(session("half-written"));
        ::_exit(0);
      });
    } catch (...) {
    }
    ::_exit(3);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);

  {
    SessionStore store(dir_);  // the child's lock died with it
    const auto all = store.loadAll();
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].id, "committed");
    EXPECT_EQ(all[0].status, SessionStatus::Ready);
  }
  EXPECT_EQ(rowCount(SessionStore::databasePath(dir_)), 1);
}

TEST_F(SessionStoreTest, OneServerPerStateDirectory) {
  SessionStore first(dir_);
  try {
    SessionStore second(dir_);
    FAIL() << "a second store on the same directory opened";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("in use by another comfystream"), std::string::npos)
        << e.what();
  }
}

TEST_F(SessionStoreTest, UnreadableRowsAreSkipped) {
  {
    SessionStore store(dir_);
    store.put(session("good"));
    store.put(session("bad"));
  }
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(SessionStore::databasePath(dir_).c_str(), &h), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(h, "UPDATE sessions SET status = 'weird' WHERE id = 'bad'", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(h);
  SessionStore store(dir_);
  const auto all = store.loadAll();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].id, "good");
}

TEST_F(SessionStoreTest, UsesWriteAheadLogging) {
  {
    SessionStore store(dir_);
    store.put(session("a"));
  }
  sqlite3* h = nullptr;
  ASSERT_EQ(
      sqlite3_open_v2(SessionStore::databasePath(dir_).c_str(), &h, SQLITE_OPEN_READONLY, nullptr),
      SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &st, nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
  sqlite3_finalize(st);
  sqlite3_close(h);
}

// EXCLUSIVE locking mode (no -shm, see SessionStore.h): while a server holds the store, other
// connections cannot read it, even read-only. Read a copy, or stop the server.
TEST_F(SessionStoreTest, HoldsTheDatabaseExclusivelyWhileOpen) {
  SessionStore store(dir_);
  store.put(session("a"));
  sqlite3* h = nullptr;
  ASSERT_EQ(
      sqlite3_open_v2(SessionStore::databasePath(dir_).c_str(), &h, SQLITE_OPEN_READONLY, nullptr),
      SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(h, "SELECT count(*) FROM sessions", nullptr, nullptr, nullptr),
            SQLITE_BUSY);
  sqlite3_close(h);
  EXPECT_EQ(store.loadAll().size(), 1u);
}

}  // namespace
}  // namespace cs
