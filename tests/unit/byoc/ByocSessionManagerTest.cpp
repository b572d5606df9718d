// SessionManager with a store that fails (real SQLite, real files; the fault is a file size
// limit, see StoreFaults.h): nothing it could not store is answered as done, and a restart that
// cannot write still answers every stored session. Also the connect timeout (on a clock the test
// moves).
#include "byoc/SessionManager.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "FakeMediaHost.h"
#include "StoreFaults.h"
#include "util/ControlError.h"

namespace cs {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class ByocSessionManager : public testing::Test {
 protected:
  void SetUp() override { dir_ = test::uniqueTempDir("cs-manager-faults-"); }
  void TearDown() override { fs::remove_all(dir_); }

  ByocSettings settings(std::chrono::seconds connectTimeout = 30s) const {
    ByocSettings s;
    s.stateDir = dir_.string();
    s.capacity = 2;
    s.connectTimeout = connectTimeout;
    return s;
  }

  static ByocSession video(const std::string& id) {
    ByocSession s;
    s.id = id;
    s.capability = Capability::Video;
    s.status = SessionStatus::Ready;
    s.createdAt = s.updatedAt = 100;
    s.streamId = id;
    s.prompts = nlohmann::json::array();
    s.result = {{"session_id", id}};
    return s;
  }

  static void add(SessionManager& m, const std::string& id) {
    auto slot = m.reserve(Capability::Video);
    m.add(slot, video(id));
  }

  static ErrorKind kindOf(const std::function<void()>& fn) {
    try {
      fn();
    } catch (const ControlError& e) {
      return e.kind();
    }
    ADD_FAILURE() << "no ControlError";
    return ErrorKind::BadRequest;
  }

  test::FakeMediaHost media_;
  test::ManualClock clock_;
  fs::path dir_;
};

TEST_F(ByocSessionManager, ADeleteThatCannotBeStoredFailsAndTheSessionStays) {
  {
    SessionManager m(media_, settings(), clock_.clocks());
    m.start();
    add(m, "kept");
    {
      test::NoFileMayGrow full;
      EXPECT_EQ(kindOf([&] { m.cleanup("kept"); }), ErrorKind::Internal);
      // Still known, ended (its media was freed: it holds no capacity), and marked unsaved.
      const auto s = m.get("kept");
      ASSERT_TRUE(s);
      EXPECT_EQ(s->status, SessionStatus::Completed);
      EXPECT_NE(s->endedReason.find("could not be stored"), std::string::npos);
      EXPECT_EQ(m.unsavedCount(), 1u);
    }
    m.sweep();  // the disk works again: the ended record is stored
    EXPECT_EQ(m.unsavedCount(), 0u);
    m.shutdown();
  }
  {
    SessionManager m(media_, settings(), clock_.clocks());
    m.start();
    ASSERT_TRUE(m.get("kept")) << "the session whose deletion failed is back after a restart";
    EXPECT_TRUE(m.cleanup("kept"));  // a retried DELETE succeeds
    m.shutdown();
  }
  SessionManager m(media_, settings(), clock_.clocks());
  m.start();
  EXPECT_FALSE(m.get("kept"));
  m.shutdown();
}

TEST_F(ByocSessionManager, ANewSessionThatCannotBeStoredIsRefused) {
  SessionManager m(media_, settings(), clock_.clocks());
  m.start();
  add(m, "first");  // creates the store
  {
    test::NoFileMayGrow full;
    EXPECT_EQ(kindOf([&] { add(m, "second"); }), ErrorKind::Internal);
  }
  EXPECT_FALSE(m.get("second"));
  EXPECT_EQ(m.statsJson().size(), 1u);
  add(m, "third");  // its capacity slot was given back
  m.shutdown();
}

TEST_F(ByocSessionManager, ARestartThatCannotWriteStillAnswersEveryStoredSession) {
  {
    SessionStore store(dir_);  // sessions that were live when their server died
    for (const char* id : {"a", "b", "c"}) store.put(video(id));
  }
  {
    test::NoFileMayGrow full;
    SessionManager m(media_, settings(), clock_.clocks());
    m.start();
    for (const char* id : {"a", "b", "c"}) {
      const auto s = m.get(id);
      ASSERT_TRUE(s) << id;
      EXPECT_EQ(s->status, SessionStatus::Failed);  // in memory; the store could not take it
    }
    EXPECT_EQ(m.unsavedCount(), 3u);
    EXPECT_EQ(kindOf([&] { add(m, "new"); }), ErrorKind::Internal);
    full.lift();
    m.sweep();
    EXPECT_EQ(m.unsavedCount(), 0u);
    m.shutdown();
  }
  SessionStore store(dir_);
  for (const auto& s : store.loadAll()) EXPECT_EQ(s.status, SessionStatus::Failed) << s.id;
}

TEST_F(ByocSessionManager, AStoreThatCannotBeReadIsNotTakenForAnEmptyOne) {
  fs::create_directories(dir_);
  {
    std::ofstream f(SessionStore::databasePath(dir_), std::ios::binary);
    f << std::string(8192, '\x5a');  // not a database
  }
  SessionManager m(media_, settings(), clock_.clocks());
  m.start();
  EXPECT_EQ(kindOf([&] { m.get("anything"); }), ErrorKind::Internal);
  EXPECT_EQ(kindOf([&] { m.cleanup("anything"); }), ErrorKind::Internal);
  EXPECT_EQ(kindOf([&] { add(m, "new"); }), ErrorKind::Internal);
  m.shutdown();
}

TEST_F(ByocSessionManager, ASessionNobodyConnectsToEndsAfterTheConnectTimeout) {
  SessionManager m(media_, settings(1s), clock_.clocks());
  m.start();
  add(m, "one");
  add(m, "two");
  EXPECT_EQ(kindOf([&] { m.reserve(Capability::Video); }), ErrorKind::Capacity);
  clock_.advance(1200ms);
  m.sweep();
  for (const char* id : {"one", "two"}) {
    const auto s = m.get(id);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->status, SessionStatus::Failed) << id;
    EXPECT_NE(s->endedReason.find("--session-connect-timeout"), std::string::npos)
        << s->endedReason;
  }
  auto slot = m.reserve(Capability::Video);  // capacity is free again
  m.shutdown();
}

TEST_F(ByocSessionManager, ConnectTimeoutZeroLeavesOnlyTheTtl) {
  SessionManager m(media_, settings(0s), clock_.clocks());
  m.start();
  add(m, "one");
  clock_.advance(300ms);
  m.sweep();
  EXPECT_EQ(m.get("one")->status, SessionStatus::Ready);
  m.shutdown();
}

}  // namespace
}  // namespace cs
