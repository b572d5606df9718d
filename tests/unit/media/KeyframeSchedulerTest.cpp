#include "media/KeyframeScheduler.h"

#include <gtest/gtest.h>

namespace cs {
namespace {

using Action = KeyframeScheduler::Decision::Action;
using std::chrono::milliseconds;

// The clock is injected: every call takes the time, so a test walks it by hand.
struct Timeline {
  KeyframeScheduler::Clock::time_point t{std::chrono::seconds(1000)};
  KeyframeScheduler::Clock::time_point at(int ms) const { return t + milliseconds(ms); }
};

TEST(KeyframeSchedulerTest, FirstRequestIsServedAtOnce) {
  KeyframeScheduler s;
  Timeline tl;
  EXPECT_EQ(s.request(tl.at(0)).action, Action::ForceNow);
}

TEST(KeyframeSchedulerTest, BurstWhileAKeyframeIsOnItsWayCoalescesIntoIt) {
  KeyframeScheduler s;
  Timeline tl;
  ASSERT_EQ(s.request(tl.at(0)).action, Action::ForceNow);
  // Nine more viewers before the keyframe leaves the encoder: it reaches them all.
  for (int i = 1; i < 10; ++i) EXPECT_EQ(s.request(tl.at(i)).action, Action::Coalesced);
  EXPECT_FALSE(s.timerArmed());
}

TEST(KeyframeSchedulerTest, BurstAfterTheKeyframeWentOutCoalescesIntoOneScheduledKeyframe) {
  KeyframeScheduler s;
  Timeline tl;
  ASSERT_EQ(s.request(tl.at(0)).action, Action::ForceNow);
  s.keyframeEmitted(tl.at(10));
  int forced = 1;
  const auto first = s.request(tl.at(20));
  ASSERT_EQ(first.action, Action::Schedule);
  EXPECT_EQ(first.delay, milliseconds(80));  // at the end of the 100 ms spacing, not later
  for (int i = 21; i < 30; ++i) EXPECT_EQ(s.request(tl.at(i)).action, Action::Coalesced);
  if (s.timerFired(tl.at(100), first.timer)) ++forced;
  EXPECT_EQ(forced, 2);
  EXPECT_FALSE(s.timerArmed());
}

TEST(KeyframeSchedulerTest, ARequestNeverWaitsMoreThanTheSpacing) {
  for (int offset = 0; offset <= 150; offset += 5) {
    KeyframeScheduler s;
    Timeline tl;
    ASSERT_EQ(s.request(tl.at(0)).action, Action::ForceNow);
    s.keyframeEmitted(tl.at(3));
    const auto d = s.request(tl.at(3 + offset));
    if (d.action == Action::Schedule) {
      EXPECT_LE(d.delay, KeyframeScheduler::kMinSpacing) << "offset " << offset;
      EXPECT_GE(d.delay, milliseconds(1));
    } else {
      EXPECT_EQ(d.action, Action::ForceNow) << "offset " << offset;
    }
  }
}

TEST(KeyframeSchedulerTest, TheEncodersOwnKeyframeServesTheWaitingRequests) {
  KeyframeScheduler s;
  Timeline tl;
  ASSERT_EQ(s.request(tl.at(0)).action, Action::ForceNow);
  s.keyframeEmitted(tl.at(5));
  const auto d = s.request(tl.at(30));
  ASSERT_EQ(d.action, Action::Schedule);
  s.keyframeEmitted(tl.at(40));  // the GOP's keyframe, after the request: it reached the viewer
  EXPECT_FALSE(s.timerFired(tl.at(100), d.timer));
}

TEST(KeyframeSchedulerTest, AKeyframeBeforeARequestDoesNotServeIt) {
  KeyframeScheduler s;
  Timeline tl;
  ASSERT_EQ(s.request(tl.at(0)).action, Action::ForceNow);
  s.keyframeEmitted(tl.at(5));
  const auto d = s.request(tl.at(30));
  ASSERT_EQ(d.action, Action::Schedule);
  s.keyframeEmitted(tl.at(40));
  // A viewer that asks after that keyframe went out has not seen it: the timer still forces one.
  EXPECT_EQ(s.request(tl.at(50)).action, Action::Coalesced);
  EXPECT_TRUE(s.timerFired(tl.at(100), d.timer));
}

TEST(KeyframeSchedulerTest, AStormIsBoundedAndAQuietSpellEndsIt) {
  KeyframeScheduler s;
  Timeline tl;
  int forced = 0;
  int timerAt = -1;  // when the armed timer fires; -1: none
  unsigned timer = 0;
  // A viewer sends a PLI every 30 ms for 10 s; every keyframe leaves the encoder 5 ms later.
  for (int ms = 0; ms < 10'000; ms += 5) {
    if (timerAt >= 0 && timerAt <= ms) {
      timerAt = -1;
      if (s.timerFired(tl.at(ms), timer)) {
        ++forced;
        s.keyframeEmitted(tl.at(ms + 5));
      }
    }
    if (ms % 30 == 0) {
      const auto d = s.request(tl.at(ms));
      if (d.action == Action::ForceNow) {
        ++forced;
        s.keyframeEmitted(tl.at(ms + 5));
      } else if (d.action == Action::Schedule) {
        ASSERT_LE(d.delay, KeyframeScheduler::kMaxSpacing);
        timerAt = ms + static_cast<int>(d.delay.count());
        timer = d.timer;
      }
    }
  }
  // 0.1 + 0.2 + 0.4 + 0.8 s of ramp, then one a second: 14 keyframes, not 100 (or 333).
  EXPECT_LE(forced, 15);
  EXPECT_GE(forced, 10);  // and the viewer is still served, about once a second
  EXPECT_EQ(s.spacing(), KeyframeScheduler::kMaxSpacing);

  // The storm ends; a new viewer a second later is served at once, and the spacing is back.
  if (timerAt >= 0) s.timerFired(tl.at(timerAt), timer);
  EXPECT_EQ(s.request(tl.at(12'000)).action, Action::ForceNow);
  EXPECT_EQ(s.spacing(), KeyframeScheduler::kMinSpacing);
}

TEST(KeyframeSchedulerTest, ANewViewerNeverWaitsOutAStormsSpacing) {
  KeyframeScheduler s;
  Timeline tl;
  // A PLI storm has pushed the recovery spacing to its maximum.
  int ms = 0;
  ASSERT_EQ(s.request(tl.at(ms)).action, Action::ForceNow);
  s.keyframeEmitted(tl.at(ms + 5));
  while (s.spacing() < KeyframeScheduler::kMaxSpacing) {
    ms += 30;
    const auto d = s.request(tl.at(ms));
    if (d.action == Action::Schedule) {
      ms += static_cast<int>(d.delay.count());
      ASSERT_TRUE(s.timerFired(tl.at(ms), d.timer));
      s.keyframeEmitted(tl.at(ms + 5));
    }
  }
  ms += 30;
  const auto pli = s.request(tl.at(ms));  // the storm's next keyframe: a second away
  ASSERT_EQ(pli.action, Action::Schedule);
  EXPECT_GT(pli.delay, milliseconds(500));
  // A viewer connects now: it is served at the end of the minimum spacing, not the storm's.
  const auto fresh = s.request(tl.at(ms + 10), KeyframeScheduler::Urgency::NewViewer);
  ASSERT_EQ(fresh.action, Action::Schedule);
  EXPECT_LE(fresh.delay, KeyframeScheduler::kMinSpacing);
  // Its timer replaces the storm's: that one forces nothing when it fires later.
  EXPECT_TRUE(s.timerFired(tl.at(ms + 10) + fresh.delay, fresh.timer));
  s.keyframeEmitted(tl.at(ms + 15) + fresh.delay);
  EXPECT_FALSE(s.timerFired(tl.at(ms) + pli.delay, pli.timer));
}

TEST(KeyframeSchedulerTest, ACrowdJoiningIsServedWithinTheMinimumSpacingEach) {
  KeyframeScheduler s;
  Timeline tl;
  int timerAt = -1;
  unsigned timer = 0;
  int forced = 0;
  // Twenty viewers connect 50 ms apart; every keyframe leaves the encoder 5 ms after it is forced.
  for (int ms = 0; ms <= 1000; ms += 5) {
    if (timerAt >= 0 && timerAt <= ms) {
      timerAt = -1;
      if (s.timerFired(tl.at(ms), timer)) {
        ++forced;
        s.keyframeEmitted(tl.at(ms + 5));
      }
    }
    if (ms % 50 == 0) {
      const auto d = s.request(tl.at(ms), KeyframeScheduler::Urgency::NewViewer);
      if (d.action == Action::ForceNow) {
        ++forced;
        s.keyframeEmitted(tl.at(ms + 5));
      } else if (d.action == Action::Schedule) {
        EXPECT_LE(d.delay, KeyframeScheduler::kMinSpacing) << "viewer at " << ms << " ms";
        timerAt = ms + static_cast<int>(d.delay.count());
        timer = d.timer;
      }
    }
  }
  // One keyframe per 100 ms serves 21 viewers: coalesced, and none waits more than 100 ms.
  EXPECT_LE(forced, 11);
}

TEST(KeyframeSchedulerTest, AKeyframeThatNeverComesOutStopsAnsweringRequests) {
  KeyframeScheduler s;
  Timeline tl;
  ASSERT_EQ(s.request(tl.at(0)).action, Action::ForceNow);
  EXPECT_EQ(s.request(tl.at(100)).action, Action::Coalesced);  // still on its way
  // No frame came through (no publisher): past the in-flight limit a request forces its own.
  EXPECT_EQ(s.request(tl.at(600)).action, Action::ForceNow);
}

TEST(KeyframeSchedulerTest, EachEncoderHasItsOwnSchedule) {
  // One scheduler per encoder (per codec): a keyframe forced on one does not delay the other.
  KeyframeScheduler h264, vp8;
  Timeline tl;
  EXPECT_EQ(h264.request(tl.at(0)).action, Action::ForceNow);
  EXPECT_EQ(vp8.request(tl.at(1)).action, Action::ForceNow);
}

}  // namespace
}  // namespace cs
