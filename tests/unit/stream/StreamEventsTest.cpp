// What a stream tells its observers (stream/StreamEvents.h): the current state first, then every
// change in order, on the main loop only. Waits are for the expected call with a deadline;
// "nothing more came" is checked after a barrier on the main loop (every task posted before it
// has run), never after a sleep.
#include "stream/StreamEvents.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>

#include "../TestFrames.h"
#include "FakeSessions.h"
#include "stream/Stream.h"

namespace cs {
namespace {

using namespace std::chrono_literals;

class EventLog final : public StreamObserver {
 public:
  explicit EventLog(const MainLoop& loop) : loop_(loop) {}
  void onActive() override { add("active"); }
  void onInactive() override { add("inactive"); }
  void onViewerCount(unsigned n) override { add("viewers " + std::to_string(n)); }
  void onViewerRemoved(const std::string& id) override { add("removed " + id); }
  void onStreamEnded() override { add("ended"); }

  std::vector<std::string> events() const {
    std::lock_guard lock(mu_);
    return events_;
  }
  size_t count(const std::string& e) const {
    std::lock_guard lock(mu_);
    return static_cast<size_t>(std::count(events_.begin(), events_.end(), e));
  }
  // Until `e` has come `n` times, or the deadline.
  bool waitFor(const std::string& e, size_t n = 1, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] {
      return static_cast<size_t>(std::count(events_.begin(), events_.end(), e)) >= n;
    });
  }
  bool calledOffTheLoop() const { return offLoop_.load(); }

 private:
  void add(std::string e) {
    if (!loop_.onLoopThread()) offLoop_ = true;
    std::lock_guard lock(mu_);
    events_.push_back(std::move(e));
    cv_.notify_all();
  }
  const MainLoop& loop_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> events_;
  std::atomic<bool> offLoop_{false};
};

using Events = std::vector<std::string>;

class StreamEventsTest : public ::testing::Test {
 protected:
  // Every task posted before this call has run when it returns.
  void barrier() {
    loop_.invokeSync([] {});
  }
  std::shared_ptr<EventLog> observer() { return std::make_shared<EventLog>(loop_); }
  MainLoop loop_;
};

TEST_F(StreamEventsTest, ANewObserverGetsTheCurrentStateFirst) {
  StreamEvents ev(loop_);
  ev.viewersChanged(2);
  auto first = observer();
  auto sub1 = ev.subscribe(first);
  barrier();
  EXPECT_EQ(first->events(), (Events{"viewers 2"}));  // not active: nothing was published

  ev.publisherAttached();
  ev.frameProduced();
  ASSERT_TRUE(first->waitFor("active"));
  auto second = observer();
  auto sub2 = ev.subscribe(second);
  barrier();
  EXPECT_EQ(second->events(), (Events{"viewers 2", "active"}));
  EXPECT_FALSE(first->calledOffTheLoop() || second->calledOffTheLoop());
}

TEST_F(StreamEventsTest, OutputFlowsWithAPublisherAndAFrameMadeSinceItCame) {
  StreamEvents ev(loop_);
  auto o = observer();
  auto sub = ev.subscribe(o);
  ev.frameProduced();  // an earlier publisher's last frame
  ev.publisherAttached();
  barrier();
  EXPECT_EQ(o->events(), (Events{"viewers 0"}));  // attached, but the workflow made nothing yet

  ev.frameProduced();
  ASSERT_TRUE(o->waitFor("active"));
  for (int i = 0; i < 10; ++i) ev.frameProduced();
  barrier();
  EXPECT_EQ(o->count("active"), 1u);  // once per change, not per frame

  ev.publisherDetached();
  ASSERT_TRUE(o->waitFor("inactive"));
  ev.frameProduced();  // a frame still in the worker when the publisher left
  barrier();
  EXPECT_EQ(o->events(), (Events{"viewers 0", "active", "inactive"}));

  ev.publisherAttached();
  ev.frameProduced();
  ASSERT_TRUE(o->waitFor("active", 2));
}

TEST_F(StreamEventsTest, AStallIsInactiveAndTheNextFrameActiveAgain) {
  StreamEvents ev(loop_, {.stall = 50ms, .tick = 10ms});
  auto o = observer();
  auto sub = ev.subscribe(o);
  ev.publisherAttached();
  ev.frameProduced();
  ASSERT_TRUE(o->waitFor("active"));
  // No frame for the stall time (a workflow that fails every frame): the output stopped.
  ASSERT_TRUE(o->waitFor("inactive"));
  ev.frameProduced();
  ASSERT_TRUE(o->waitFor("active", 2));
  EXPECT_EQ(o->events(), (Events{"viewers 0", "active", "inactive", "active"}));
}

TEST_F(StreamEventsTest, ViewerCountsComeInOrderOncePerChangeAndLeaversByName) {
  StreamEvents ev(loop_);
  auto o = observer();
  auto sub = ev.subscribe(o);
  ev.viewersChanged(1);
  ev.viewersChanged(1);
  ev.viewersChanged(2);
  ev.viewersChanged(1);
  ev.viewerRemoved("v2");
  barrier();
  EXPECT_EQ(o->events(),
            (Events{"viewers 0", "viewers 1", "viewers 2", "viewers 1", "removed v2"}));
}

TEST_F(StreamEventsTest, ShutdownEndsEveryObserverOnceAndLaterOnesAtOnce) {
  auto o = observer();
  auto late = observer();
  StreamEvents::Subscription sub, lateSub;
  {
    StreamEvents ev(loop_);
    sub = ev.subscribe(o);
    ev.shutdown();
    ev.shutdown();
    ev.viewersChanged(3);  // after the end: nobody hears it
    lateSub = ev.subscribe(late);
    barrier();
  }  // destroyed with subscriptions still held: they outlive it harmlessly
  barrier();
  EXPECT_EQ(o->events(), (Events{"viewers 0", "ended"}));
  EXPECT_EQ(late->events(), (Events{"ended"}));
}

TEST_F(StreamEventsTest, AResetSubscriptionOrAGoneObserverHearsNothingMore) {
  StreamEvents ev(loop_);
  auto kept = observer();
  auto dropped = observer();
  auto gone = observer();
  auto keptSub = ev.subscribe(kept);
  auto droppedSub = ev.subscribe(dropped);
  auto goneSub = ev.subscribe(gone);
  barrier();
  droppedSub.reset();
  std::weak_ptr<EventLog> weakGone = gone;
  gone.reset();  // its owner let it go without unsubscribing
  ev.viewersChanged(1);
  barrier();
  EXPECT_TRUE(weakGone.expired());
  EXPECT_EQ(kept->events(), (Events{"viewers 0", "viewers 1"}));
  EXPECT_EQ(dropped->events(), (Events{"viewers 0"}));
}

TEST_F(StreamEventsTest, AStreamReportsItsViewersPublisherAndProcessedFrames) {
  auto stream = std::make_shared<Stream>("s", 500'000, loop_);
  auto o = observer();
  auto sub = stream->subscribe(o);
  auto viewer = std::make_shared<test::FakeViewer>(test::sessionInfo("v", "s"), std::nullopt, true);
  stream->addViewer(viewer);
  ASSERT_TRUE(o->waitFor("viewers 1"));

  stream->attachPublisher(
      std::make_shared<test::FakePublisher>(test::sessionInfo("p", "s"), &loop_));
  // No workflow: frames pass through the processor, which is output all the same.
  auto frame = test::makeI420Sample(64, 48, 100, 128, 128, 0);
  stream->onPublisherVideo(frame.get());
  ASSERT_TRUE(o->waitFor("active"));

  stream->removeViewer("v");
  ASSERT_TRUE(o->waitFor("removed v"));
  stream->detachPublisher("p");
  ASSERT_TRUE(o->waitFor("inactive"));
  loop_.invokeSync([&] { stream->shutdown(); });
  ASSERT_TRUE(o->waitFor("ended"));
  EXPECT_EQ(o->events(), (Events{"viewers 0", "viewers 1", "active", "viewers 0", "removed v",
                                 "inactive", "ended"}));
  EXPECT_FALSE(o->calledOffTheLoop());
}

}  // namespace
}  // namespace cs
