// SessionManager::sweep() against a fake MediaHost, on a clock the test moves: what a session's
// status becomes when its media ends, connects, flows or idles, what it frees, and that the
// store's failures are retried. The records are real (SQLite in a temporary directory).
#include <gtest/gtest.h>

#include <filesystem>

#include "FakeMediaHost.h"
#include "StoreFaults.h"
#include "byoc/SessionManager.h"
#include "util/ControlError.h"
#include "workflow/GraphWorkflow.h"
#include "workflow/Prompt.h"

namespace cs {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class SessionManagerSweep : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::uniqueTempDir("cs-sweep-");
    settings_.stateDir = dir_.string();
    settings_.capacity = 4;
    settings_.sessionTtl = 300s;
    settings_.connectTimeout = 30s;
    settings_.retention = 3600s;
  }
  void TearDown() override {
    manager_.reset();
    fs::remove_all(dir_);
  }

  SessionManager& manager() {
    if (!manager_) {
      manager_ = std::make_unique<SessionManager>(media_, settings_, clock_.clocks());
      manager_->start();
    }
    return *manager_;
  }

  static ByocSession record(const std::string& id, Capability cap) {
    ByocSession s;
    s.id = id;
    s.capability = cap;
    s.status = cap == Capability::Video ? SessionStatus::Ready : SessionStatus::Connected;
    s.createdAt = s.updatedAt = 100;
    s.streamId = "byoc-" + id;
    s.prompts = cap == Capability::WhepSubscribe ? nlohmann::json() : nlohmann::json::array();
    s.result = {{"session_id", id}};
    return s;
  }

  // As JobHandlers does: a comfystream-video session holds no media yet.
  void addVideo(const std::string& id) {
    auto slot = manager().reserve(Capability::Video);
    manager().add(slot, record(id, Capability::Video));
  }
  // A whip-ingest session with its publisher; returns the publisher's id.
  std::string addWhipIngest(const std::string& id) {
    auto slot = manager().reserve(Capability::WhipIngest);
    const auto pub =
        media_.publish("byoc-" + id, nlohmann::json::array(), "offer", 512, 512, nullptr);
    manager().add(slot, record(id, Capability::WhipIngest), pub.id);
    return pub.id;
  }
  // A whep-subscribe session with its viewer; returns the viewer's id.
  std::string addWhepSubscribe(const std::string& id) {
    auto slot = manager().reserve(Capability::WhepSubscribe);
    const auto view = media_.view("byoc-other", "offer");
    manager().add(slot, record(id, Capability::WhepSubscribe), {}, view.id);
    return view.id;
  }

  ByocSession status(const std::string& id) {
    const auto s = manager().get(id);
    if (!s) throw std::runtime_error("no session " + id);
    return *s;
  }

  // Moves time on in steps of one sweep period, sweeping after each, as the main loop does.
  void run(std::chrono::seconds d, const std::function<void()>& eachSecond = {}) {
    for (auto t = 0s; t < d; t += 1s) {
      clock_.advance(1s);
      if (eachSecond) eachSecond();
      manager().sweep();
    }
  }

  fs::path dir_;
  ByocSettings settings_;
  test::FakeMediaHost media_;
  test::ManualClock clock_;
  std::unique_ptr<SessionManager> manager_;
};

TEST_F(SessionManagerSweep, AWhipIngestSessionWhosePublisherLeftCompletes) {
  const auto pub = addWhipIngest("s");
  media_.connect(pub);
  run(5s);
  EXPECT_EQ(status("s").status, SessionStatus::Connected);

  media_.vanish(pub);  // e.g. the liveness watchdog removed the silent peer
  manager().sweep();
  const auto s = status("s");
  EXPECT_EQ(s.status, SessionStatus::Completed);
  EXPECT_EQ(s.endedReason, "media ended: the publisher disconnected");
  EXPECT_EQ(s.error, "");
  ASSERT_TRUE(s.endedAt);
  // Its capacity is free: four more fit.
  std::vector<SessionManager::Slot> slots;
  slots.reserve(4);
  for (int i = 0; i < 4; ++i) slots.push_back(manager().reserve(Capability::WhipIngest));
}

TEST_F(SessionManagerSweep, AWhipIngestSessionWhosePublisherNeverConnectedFails) {
  const auto pub = addWhipIngest("s");
  run(3s);
  media_.vanish(pub);  // its ICE failed
  manager().sweep();
  const auto s = status("s");
  EXPECT_EQ(s.status, SessionStatus::Failed);
  EXPECT_EQ(s.endedReason, "media ended: the publisher never connected");
  EXPECT_EQ(s.error, s.endedReason);
}

TEST_F(SessionManagerSweep, FramesCountAsConnectedEvenBeforeTheStateSaysSo) {
  const auto pub = addWhipIngest("s");
  media_.frames(pub, 3);
  manager().sweep();
  media_.vanish(pub);
  manager().sweep();
  EXPECT_EQ(status("s").endedReason, "media ended: the publisher disconnected");
}

TEST_F(SessionManagerSweep, AVideoSessionOutlivesItsPublishers) {
  addVideo("v");
  // Its first publisher connects, then goes away: the session is ready for the next one.
  const auto first = manager().publish("v", "offer");
  EXPECT_EQ(status("v").status, SessionStatus::Processing);
  media_.connect(first.id);
  manager().sweep();
  media_.vanish(first.id);
  manager().sweep();
  EXPECT_EQ(status("v").status, SessionStatus::Ready);

  // A publisher that never connects does not end it either.
  const auto second = manager().publish("v", "offer");
  EXPECT_EQ(status("v").status, SessionStatus::Processing);
  media_.vanish(second.id);
  manager().sweep();
  EXPECT_EQ(status("v").status, SessionStatus::Ready);
  EXPECT_TRUE(media_.endedByCaller.empty());
  EXPECT_EQ(manager().unsavedCount(), 0u);  // what the sweep changed is stored
}

// A comfystream-video job compiles its workflow when it comes; its first publisher runs that
// compiled workflow instead of compiling it again, later ones compile afresh.
TEST_F(SessionManagerSweep, TheFirstPublisherRunsTheWorkflowTheJobCompiled) {
  NodeContext ctx;
  auto compiled = GraphWorkflow::build("job", defaultPrompt(), ctx);
  auto slot = manager().reserve(Capability::Video);
  manager().add(slot, record("v", Capability::Video), {}, {}, compiled);
  const auto first = manager().publish("v", "offer");
  manager().unpublish("v", first.id);
  manager().publish("v", "offer");
  EXPECT_EQ(media_.publishedCompiled, (std::vector<bool>{true, false}));
}

TEST_F(SessionManagerSweep, AWhepSubscribeSessionEndsWithItsViewer) {
  const auto connected = addWhepSubscribe("c");
  const auto never = addWhepSubscribe("n");
  media_.connect(connected);
  run(2s);
  EXPECT_EQ(status("c").status, SessionStatus::Connected);
  EXPECT_EQ(status("n").status, SessionStatus::Connected);

  media_.vanish(connected);
  media_.vanish(never);
  manager().sweep();
  EXPECT_EQ(status("c").status, SessionStatus::Completed);
  EXPECT_EQ(status("c").endedReason, "media ended: the viewer disconnected");
  EXPECT_EQ(status("n").status, SessionStatus::Failed);
  EXPECT_EQ(status("n").endedReason, "media ended: the viewer never connected");
}

TEST_F(SessionManagerSweep, AVideoSessionViewerThatLeavesIsForgottenAndTheSessionStays) {
  addVideo("v");
  const auto pub = manager().publish("v", "offer");
  const auto view = manager().view("v", "offer");
  media_.connect(pub.id);
  media_.vanish(view.id);
  manager().sweep();
  EXPECT_EQ(status("v").status, SessionStatus::Processing);
  // Gone from the session: its id is no longer one of the session's viewers.
  EXPECT_THROW(manager().unview("v", view.id), ControlError);
}

TEST_F(SessionManagerSweep, ASessionNobodyConnectsToFailsAfterTheConnectTimeout) {
  addVideo("v");
  const auto viewer = addWhepSubscribe("w");
  const auto connectsLate = addWhipIngest("late");
  run(29s);
  EXPECT_EQ(status("v").status, SessionStatus::Ready);
  EXPECT_EQ(status("w").status, SessionStatus::Connected);
  media_.connect(connectsLate);  // just in time
  run(1s);
  EXPECT_EQ(status("v").status, SessionStatus::Failed);
  EXPECT_EQ(status("v").endedReason,
            "no publisher connected within 30 s (--session-connect-timeout)");
  EXPECT_EQ(status("w").status, SessionStatus::Failed);
  EXPECT_EQ(status("w").endedReason, "no viewer connected within 30 s (--session-connect-timeout)");
  EXPECT_FALSE(media_.live(viewer)) << "the failed session's viewer was ended";
  EXPECT_EQ(status("late").status, SessionStatus::Connected);
  EXPECT_TRUE(media_.live(connectsLate));
}

TEST_F(SessionManagerSweep, MediaThatFlowsKeepsASessionPastTheTtlAndIdleMediaDoesNot) {
  addVideo("v");
  const auto pub = manager().publish("v", "offer");
  const auto view = manager().view("v", "offer");
  media_.connect(pub.id);
  media_.connect(view.id);
  run(600s, [&] {
    media_.frames(pub.id, 30);
    media_.frames(view.id, 30);
  });
  EXPECT_EQ(status("v").status, SessionStatus::Processing);

  // Connected, but no frame goes in or out any more: idle.
  run(299s);
  EXPECT_EQ(status("v").status, SessionStatus::Processing);
  run(1s);
  const auto s = status("v");
  EXPECT_EQ(s.status, SessionStatus::Completed);
  EXPECT_EQ(s.endedReason, "expired: no media or requests for 300 s (--session-ttl)");
  // Its publisher and viewer were ended, viewer first.
  EXPECT_EQ(media_.endedByCaller, (std::vector<std::string>{view.id, pub.id}));
  EXPECT_EQ(media_.liveCount(), 0u);
}

TEST_F(SessionManagerSweep, ASessionWithoutMediaExpiresAfterTheTtl) {
  settings_.connectTimeout = 0s;
  addVideo("v");
  run(299s);
  EXPECT_EQ(status("v").status, SessionStatus::Ready);
  run(1s);
  EXPECT_EQ(status("v").status, SessionStatus::Completed);
  EXPECT_NE(status("v").endedReason.find("--session-ttl"), std::string::npos);
}

TEST_F(SessionManagerSweep, EndpointRequestsCountAsActivity) {
  settings_.connectTimeout = 0s;
  addVideo("v");
  run(200s);
  const auto pub = manager().publish("v", "offer");  // a request: the TTL starts again
  manager().unpublish("v", pub.id);
  run(299s);
  EXPECT_EQ(status("v").status, SessionStatus::Ready);
  run(1s);
  EXPECT_EQ(status("v").status, SessionStatus::Completed);
}

TEST_F(SessionManagerSweep, EndedSessionsAreForgottenAfterTheRetention) {
  const auto pub = addWhipIngest("s");
  media_.vanish(pub);
  manager().sweep();
  ASSERT_TRUE(status("s").ended());
  run(3599s);
  EXPECT_TRUE(manager().get("s"));
  run(2s);
  EXPECT_FALSE(manager().get("s"));
  manager_.reset();
  EXPECT_TRUE(SessionStore(dir_).loadAll().empty()) << "forgotten in the store too";
}

TEST_F(SessionManagerSweep, WhatTheStoreCouldNotTakeIsRetriedByTheNextSweep) {
  const auto pub = addWhipIngest("s");
  media_.connect(pub);
  manager().sweep();
  media_.vanish(pub);
  {
    test::NoFileMayGrow full;
    manager().sweep();
    // Ended in memory (answered as such), not yet in the store.
    EXPECT_EQ(status("s").status, SessionStatus::Completed);
    EXPECT_EQ(manager().unsavedCount(), 1u);
    manager().sweep();  // still full
    EXPECT_EQ(manager().unsavedCount(), 1u);
  }
  manager().sweep();
  EXPECT_EQ(manager().unsavedCount(), 0u);

  // Forgetting after the retention is retried too.
  run(3600s);
  {
    test::NoFileMayGrow full;
    run(1s);
    EXPECT_TRUE(manager().get("s")) << "kept while its removal cannot be stored";
  }
  run(1s);
  EXPECT_FALSE(manager().get("s"));

  manager_.reset();
  EXPECT_TRUE(SessionStore(dir_).loadAll().empty());
}

TEST_F(SessionManagerSweep, ASweepWithoutLiveSessionsAsksTheMediaNothing) {
  const auto pub = addWhipIngest("s");
  media_.vanish(pub);
  manager().sweep();
  const unsigned asked = media_.statsQueries;
  run(10s);
  EXPECT_EQ(media_.statsQueries, asked);
}

TEST_F(SessionManagerSweep, ShutdownEndsEveryLiveSessionAndFreesItsMedia) {
  addVideo("v");
  const auto pub = manager().publish("v", "offer");
  const auto view = addWhepSubscribe("w");
  manager().shutdown();
  for (const char* id : {"v", "w"}) {
    EXPECT_EQ(status(id).status, SessionStatus::Completed) << id;
    EXPECT_EQ(status(id).endedReason, "server shut down") << id;
  }
  EXPECT_FALSE(media_.live(pub.id));
  EXPECT_FALSE(media_.live(view));
}

}  // namespace
}  // namespace cs
