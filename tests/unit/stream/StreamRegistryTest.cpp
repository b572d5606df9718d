// Issue 7: a stream id with invalid UTF-8 made /whip-stats and /streams/stats answer 500 to
// everyone while the session lived; CR/LF in one reached the logs. Ids are checked where they
// enter the registry.
#include "stream/StreamRegistry.h"

#include <gtest/gtest.h>

#include "util/ControlError.h"
#include "util/Utf8.h"

namespace cs {

TEST(StreamRegistry, StreamIdsMustBeSafeIdentifiers) {
  EXPECT_NO_THROW(validateStreamId("default"));
  EXPECT_NO_THROW(validateStreamId("cam\xC3\xA9ra-1 room"));
  for (const std::string& bad : {std::string("bad\xFF"), std::string("a\r\nb"), std::string(),
                                 std::string("tab\there"), std::string(300, 'x')}) {
    try {
      validateStreamId(bad);
      ADD_FAILURE() << "accepted";
    } catch (const ControlError& e) {
      EXPECT_EQ(e.kind(), ErrorKind::BadRequest);
      EXPECT_TRUE(isValidUtf8(e.what()));  // the message is written as JSON
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    }
  }
}

}  // namespace cs

// The registry's own jobs, with sessions that have no transport (FakeSessions.h): who may take a
// role, the RAII reservations, teardown on the main loop, the watchdog.
#include "FakeSessions.h"

namespace cs {
namespace {

using test::FakePublisher;
using test::FakeViewer;
using test::sessionInfo;

// The Retry-After a refusal carries (0: none of its own).
unsigned retryAfterOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const ControlError& e) {
    return e.retryAfter();
  }
  ADD_FAILURE() << "not refused";
  return 0;
}

ErrorKind refusal(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const ControlError& e) {
    return e.kind();
  }
  ADD_FAILURE() << "not refused";
  return ErrorKind::Internal;
}

class StreamRegistryRoles : public ::testing::Test {
 protected:
  RegistrySettings settings(unsigned maxStreams = 4, unsigned maxViewers = 2,
                            PublisherTakeover takeover = PublisherTakeover::Never) {
    RegistrySettings s;
    s.takeover = takeover;
    s.maxStreams = maxStreams;
    s.maxViewers = maxViewers;
    s.maxPendingPerAddress = 2;
    return s;
  }
  std::shared_ptr<FakePublisher> publish(StreamRegistry& reg, const std::string& stream,
                                         const std::string& id, const std::string& address = {}) {
    auto r = reg.reservePublisher(stream);
    auto p = std::make_shared<FakePublisher>(sessionInfo(id, stream, address), &loop_);
    reg.attachPublisher(r, p);
    return p;
  }
  MainLoop loop_;
};

TEST_F(StreamRegistryRoles, ASecondPublisherIsAConflictEvenWhileTheFirstNegotiates) {
  StreamRegistry reg(settings(), loop_);
  {
    auto first = reg.reservePublisher("s");
    EXPECT_EQ(refusal([&] { reg.reservePublisher("s"); }), ErrorKind::Conflict);
    ASSERT_NE(reg.findStream("s"), nullptr);
  }
  // The reservation was dropped without a publisher: the role and the stream are given back.
  EXPECT_EQ(reg.findStream("s"), nullptr);
  auto p = publish(reg, "s", "p1");
  EXPECT_EQ(refusal([&] { reg.reservePublisher("s"); }), ErrorKind::Conflict);
  EXPECT_TRUE(reg.findStream("s")->hasPublisher());
}

TEST_F(StreamRegistryRoles, APublisherBeingSetUpIsNeverTakenOver) {
  StreamRegistry reg(settings(4, 2, PublisherTakeover::Always), loop_);
  auto negotiating = reg.reservePublisher("s");
  EXPECT_EQ(refusal([&] { reg.reservePublisher("s"); }), ErrorKind::Conflict);
  EXPECT_EQ(retryAfterOf([&] { reg.reservePublisher("s"); }), 1u);
}

// Issue 9: a publisher that vanished without DELETE held its stream until the watchdog fired.
TEST_F(StreamRegistryRoles, ANewPublisherTakesOverAndTheViewersStay) {
  StreamRegistry reg(settings(/*maxStreams=*/1, 2, PublisherTakeover::Always), loop_);
  auto p1 = publish(reg, "s", "p1");
  p1->state_ = ConnectionState::Connected;  // live and sending: replaced all the same
  auto r = reg.reserveViewer("s");
  auto v = std::make_shared<FakeViewer>(sessionInfo("v1", "s"), std::nullopt, true, &loop_);
  reg.attachViewer(r, v);
  auto stream = reg.findStream("s");

  // At --max-streams 1: a takeover is not a new stream.
  auto p2 = publish(reg, "s", "p2");
  EXPECT_TRUE(p1->stopped.stopped());
  EXPECT_TRUE(p1->stopped.stoppedOnLoop());
  EXPECT_FALSE(reg.publisherStats("p1").has_value());
  EXPECT_TRUE(reg.publisherStats("p2").has_value());
  EXPECT_EQ(reg.findStream("s"), stream);
  EXPECT_EQ(stream->viewerCount(), 1u);
  EXPECT_FALSE(v->stopped.stopped());
  EXPECT_EQ(reg.publishers().size(), 1u);
}

TEST_F(StreamRegistryRoles, IdleTakeoverReplacesOnlyAQuietOrUnconnectedPublisher) {
  StreamRegistry reg(settings(4, 2, PublisherTakeover::Idle), loop_);
  auto p1 = publish(reg, "s", "p1");
  p1->state_ = ConnectionState::Connected;
  EXPECT_EQ(refusal([&] { reg.reservePublisher("s"); }), ErrorKind::Conflict);
  // Sending right now: it may be taken over once it has been quiet for a second.
  EXPECT_EQ(retryAfterOf([&] { reg.reservePublisher("s"); }), 1u);
  EXPECT_FALSE(p1->stopped.stopped());
  p1->silent_ = true;
  auto p2 = publish(reg, "s", "p2");
  EXPECT_TRUE(p1->stopped.stopped());
  // One that never connected is replaceable at once.
  auto p3 = publish(reg, "t", "p3");
  auto p4 = publish(reg, "t", "p4");
  EXPECT_TRUE(p3->stopped.stopped());
}

TEST_F(StreamRegistryRoles, NeverTakeoverSaysWhenTheWatchdogWillFreeTheStream) {
  RegistrySettings s = settings(4, 2, PublisherTakeover::Never);
  s.silenceTimeout = std::chrono::milliseconds(7'500);
  StreamRegistry reg(s, loop_);
  auto p1 = publish(reg, "s", "p1");
  p1->state_ = ConnectionState::Connected;
  // Heard from just now: the watchdog cannot end it before --silence-timeout (7.5 s → 8).
  EXPECT_EQ(retryAfterOf([&] { reg.reservePublisher("s"); }), 8u);
  p1->silent_ = true;  // silent for ages: the next sweep ends it
  EXPECT_EQ(retryAfterOf([&] { reg.reservePublisher("s"); }), 1u);
  EXPECT_FALSE(p1->stopped.stopped());
}

TEST_F(StreamRegistryRoles, StreamAndViewerLimitsCountReservations) {
  StreamRegistry reg(settings(/*maxStreams=*/1, /*maxViewers=*/1), loop_);
  auto held = reg.reservePublisher("a");
  EXPECT_EQ(refusal([&] { reg.reservePublisher("b"); }), ErrorKind::Capacity);
  auto p = std::make_shared<FakePublisher>(sessionInfo("p", "a"), &loop_);
  reg.attachPublisher(held, p);
  EXPECT_EQ(refusal([&] { reg.reservePublisher("b"); }), ErrorKind::Capacity);
  auto viewer = reg.reserveViewer("a");
  EXPECT_EQ(refusal([&] { reg.reserveViewer("a"); }), ErrorKind::Capacity);
}

TEST_F(StreamRegistryRoles, AViewerNeedsALivePublisher) {
  StreamRegistry reg(settings(), loop_);
  EXPECT_EQ(refusal([&] { reg.reserveViewer("nobody"); }), ErrorKind::NoPublisher);
  auto negotiating = reg.reservePublisher("s");
  EXPECT_EQ(refusal([&] { reg.reserveViewer("s"); }), ErrorKind::NoPublisher);
  EXPECT_EQ(refusal([&] { reg.reservePublisher("bad\xFF"); }), ErrorKind::BadRequest);
}

TEST_F(StreamRegistryRoles, EndingAPublisherStopsItOnTheMainLoopAndRetiresAnEmptyStream) {
  StreamRegistry reg(settings(), loop_);
  auto p = publish(reg, "s", "p1");
  ASSERT_TRUE(reg.publisherStats("p1").has_value());
  EXPECT_EQ(reg.publisherStats("p1")->framesReceived, 7u);
  EXPECT_EQ(reg.publisherStats("p1")->info.streamId, "s");
  reg.endPublisher("p1");
  EXPECT_TRUE(p->stopped.stopped());
  EXPECT_TRUE(p->stopped.stoppedOnLoop());
  EXPECT_FALSE(reg.publisherStats("p1").has_value());
  EXPECT_EQ(reg.findStream("s"), nullptr);
  EXPECT_EQ(refusal([&] { reg.endPublisher("p1"); }), ErrorKind::NotFound);
}

TEST_F(StreamRegistryRoles, ViewersStayThroughAChangeOfPublisher) {
  StreamRegistry reg(settings(), loop_);
  auto p1 = publish(reg, "s", "p1");
  auto r = reg.reserveViewer("s");
  auto v = std::make_shared<FakeViewer>(sessionInfo("v1", "s"), std::nullopt, true, &loop_);
  reg.attachViewer(r, v);
  reg.endPublisher("p1");
  auto stream = reg.findStream("s");
  ASSERT_NE(stream, nullptr);  // the viewer keeps it
  EXPECT_FALSE(stream->hasPublisher());
  auto p2 = publish(reg, "s", "p2");
  EXPECT_EQ(reg.findStream("s"), stream);
  EXPECT_EQ(stream->viewerCount(), 1u);
  EXPECT_FALSE(v->stopped.stopped());
}

TEST_F(StreamRegistryRoles, ASessionThatEndsByItselfIsRemoved) {
  StreamRegistry reg(settings(), loop_);
  auto p = publish(reg, "s", "p1");
  p->fail("connection failed");
  ASSERT_TRUE(p->stopped.wait());
  EXPECT_TRUE(p->stopped.stoppedOnLoop());
  loop_.invokeSync([] {});  // the removal ran before stop() returned; let it finish
  EXPECT_FALSE(reg.publisherStats("p1").has_value());
}

TEST_F(StreamRegistryRoles, AnEndReportedBeforeAttachIsNotLost) {
  StreamRegistry reg(settings(), loop_);
  auto r = reg.reservePublisher("s");
  auto p = std::make_shared<FakePublisher>(sessionInfo("p1", "s"), &loop_);
  p->fail("connection failed while negotiating");
  reg.attachPublisher(r, p);
  ASSERT_TRUE(p->stopped.wait());
}

TEST_F(StreamRegistryRoles, TheWatchdogEndsSilentSessions) {
  auto s = settings();
  s.silenceTimeout = std::chrono::milliseconds(0);
  StreamRegistry reg(s, loop_);
  auto p = publish(reg, "s", "p1");
  auto r = reg.reserveViewer("s");
  auto v = std::make_shared<FakeViewer>(sessionInfo("v1", "s"), std::nullopt, false, &loop_);
  reg.attachViewer(r, v);
  v->silent_ = true;
  ASSERT_TRUE(v->stopped.wait());
  EXPECT_FALSE(p->stopped.stopped());  // heard from: kept
  p->silent_ = true;
  ASSERT_TRUE(p->stopped.wait());
}

TEST_F(StreamRegistryRoles, PairedSessionsEndTogether) {
  StreamRegistry reg(settings(), loop_);
  auto r = reg.reserveDuplex("pair");
  auto p = std::make_shared<FakePublisher>(sessionInfo("p", "pair", {}, "v"), &loop_);
  auto v =
      std::make_shared<FakeViewer>(sessionInfo("v", "pair", {}, "p"), std::nullopt, false, &loop_);
  reg.attachPublisher(r, p);
  reg.attachViewer(r, v);
  reg.endViewer("v");
  EXPECT_TRUE(p->stopped.stopped());
  EXPECT_EQ(reg.findStream("pair"), nullptr);
}

TEST_F(StreamRegistryRoles, UnconnectedSessionsAreLimitedPerAddress) {
  StreamRegistry reg(settings(), loop_);
  auto a = publish(reg, "a", "p1", "10.0.0.1");
  EXPECT_NO_THROW(reg.checkPending("10.0.0.1"));
  auto b = publish(reg, "b", "p2", "10.0.0.1");
  EXPECT_EQ(refusal([&] { reg.checkPending("10.0.0.1"); }), ErrorKind::TooManyRequests);
  EXPECT_NO_THROW(reg.checkPending("10.0.0.2"));
  b->state_ = ConnectionState::Connected;
  EXPECT_NO_THROW(reg.checkPending("10.0.0.1"));
}

TEST_F(StreamRegistryRoles, ShutdownStopsEverySession) {
  auto reg = std::make_unique<StreamRegistry>(settings(), loop_);
  auto p = publish(*reg, "s", "p1");
  reg->shutdown();
  EXPECT_TRUE(p->stopped.stopped());
  EXPECT_EQ(reg->findStream("s"), nullptr);
}

}  // namespace
}  // namespace cs
