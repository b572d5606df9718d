// ByocService sweeps its sessions on the main loop's timer. Ending a session's media there must
// not deadlock (the stream core's teardown waits for the loop with invokeSync, which runs inline
// on the loop's own thread), and once shutdown() returns no sweep runs any more.
#include "byoc/ByocService.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <future>

#include "FakeMediaHost.h"
#include "StoreFaults.h"

namespace cs {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Ends media as StreamRegistry does: the teardown runs on the main loop, and the caller waits.
class LoopMediaHost : public test::FakeMediaHost {
 public:
  explicit LoopMediaHost(MainLoop& loop) : loop_(loop) {}
  bool endPublisher(const std::string& id) override {
    bool found = false;
    loop_.invokeSync([&] {
      endedOnLoop_ = loop_.onLoopThread();
      found = FakeMediaHost::endPublisher(id);
    });
    if (!signalled_.exchange(true)) ended_.set_value();
    return found;
  }
  // Whether the first publisher BYOC ended was torn down on the loop thread; waits up to
  // `deadline` for one, nullopt when none was.
  std::optional<bool> firstEnd(std::chrono::seconds deadline) {
    if (ended_.get_future().wait_for(deadline) != std::future_status::ready) return std::nullopt;
    return endedOnLoop_;
  }

 private:
  MainLoop& loop_;
  std::promise<void> ended_;
  std::atomic<bool> signalled_{false};
  bool endedOnLoop_ = false;
};

ByocSession whipIngest(const std::string& id) {
  ByocSession s;
  s.id = id;
  s.capability = Capability::WhipIngest;
  s.status = SessionStatus::Connected;
  s.streamId = "byoc-" + id;
  s.prompts = nlohmann::json::array();
  return s;
}

TEST(ByocService, SweepsOnTheMainLoopAndStopsSweepingAtShutdown) {
  const fs::path dir = test::uniqueTempDir("cs-byoc-service-");
  MainLoop loop;
  LoopMediaHost media(loop);
  IceServerProvider ice({}, {});
  ByocSettings settings;
  settings.stateDir = dir.string();
  settings.connectTimeout = 1s;  // the shortest there is: the first sweep after it ends the session
  {
    ByocService byoc(media, loop, ice, settings);
    byoc.start();
    auto& sessions = byoc.sessions();
    {
      auto slot = sessions.reserve(Capability::WhipIngest);
      const auto pub = media.publish("byoc-a", nullptr, "offer", 512, 512, nullptr);
      sessions.add(slot, whipIngest("a"), pub.id);
    }
    // Nobody connects: a sweep on the loop ends the session and its publisher.
    const auto onLoop = media.firstEnd(10s);
    ASSERT_TRUE(onLoop) << "no sweep ended the session";
    EXPECT_TRUE(*onLoop) << "the publisher was torn down off the main loop";
    EXPECT_EQ(sessions.get("a")->status, SessionStatus::Failed);

    byoc.shutdown();
    // A session whose publisher ended after the shutdown stays as it is: nothing sweeps.
    {
      auto slot = sessions.reserve(Capability::WhipIngest);
      const auto pub = media.publish("byoc-b", nullptr, "offer", 512, 512, nullptr);
      sessions.add(slot, whipIngest("b"), pub.id);
      media.vanish(pub.id);
    }
    std::promise<void> ticked;
    loop.after(ByocService::kSweepPeriod + 200ms, [&] { ticked.set_value(); });
    ticked.get_future().wait();
    EXPECT_EQ(sessions.get("b")->status, SessionStatus::Connected);
  }
  // The timer's last tick finds the service gone and removes itself without touching it.
  std::promise<void> ticked;
  loop.after(ByocService::kSweepPeriod + 200ms, [&] { ticked.set_value(); });
  ticked.get_future().wait();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cs
