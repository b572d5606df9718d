#pragma once
// When an encoder forces a keyframe, given the requests of its viewers (a new viewer's start, a
// PLI/FIR). Pure decisions on times the caller passes in (the clock is injected), so the policy is
// unit-tested without an encoder or a timer; VideoEncoder owns one per encoder, under its lock.
//
// The policy (docs/GSTREAMER-NOTES.md §G9):
// - a request with no keyframe forced within the current spacing is served at once;
// - a request while a forced keyframe is still on its way out of the encoder rides on it: that
//   keyframe leaves the encoder after the request, so the viewer that asked receives it;
// - a request inside the spacing is scheduled at its end, never dropped; further requests
//   coalesce into that one timer, and a keyframe the encoder makes on its own (its GOP) before the
//   timer fires serves them all, so the timer then forces nothing;
// - a new viewer's request (Urgency::NewViewer) waits at most `minSpacing` after the last forced
//   keyframe, always: new viewers are bounded by admission (viewer caps, request rate limits), so
//   they cannot make a storm, and each one's first picture depends on it;
// - a decoder's recovery request (PLI/FIR, a viewer's overflow) uses a spacing that starts at
//   `minSpacing` and doubles, up to `maxSpacing`, each time a scheduled keyframe fires, i.e.
//   while requests keep arriving faster than keyframes go out (a PLI storm); it returns to
//   `minSpacing` after a quiet spell of one spacing with no request. A storm so costs at most one
//   keyframe per `maxSpacing` (plus one per new viewer), and never delays a new viewer.
#include <chrono>
#include <optional>

namespace cs {

class KeyframeScheduler {
 public:
  using Clock = std::chrono::steady_clock;
  using Duration = std::chrono::milliseconds;

  // 100 ms: a viewer connects in ~100 ms on a LAN, so its first frame stays within 200 ms of
  // its POST. 1 s: what a storm may cost at most (one keyframe a second, half the default GOP).
  static constexpr Duration kMinSpacing{100};
  static constexpr Duration kMaxSpacing{1000};
  // A forced keyframe that has not come out by then (no frames are flowing: no publisher) no
  // longer answers new requests; they force their own.
  static constexpr Duration kInFlightLimit{500};

  explicit KeyframeScheduler(Duration minSpacing = kMinSpacing, Duration maxSpacing = kMaxSpacing,
                             Duration inFlightLimit = kInFlightLimit);

  enum class Urgency {
    Recovery,  // a PLI/FIR or a viewer that fell behind: may back off during a storm
    NewViewer  // a viewer's first picture: never waits more than the minimum spacing
  };

  struct Decision {
    enum class Action {
      ForceNow,  // force a keyframe now
      Schedule,  // arm one timer: call timerFired() after `delay`
      Coalesced  // nothing to do: a keyframe already on its way or scheduled serves this request
    };
    Action action = Action::Coalesced;
    Duration delay{0};
    unsigned timer = 0;  // Schedule: pass it to timerFired()
  };

  // A viewer needs a keyframe (asked at `now`).
  Decision request(Clock::time_point now, Urgency urgency = Urgency::Recovery);
  // The timer `timer` of a Schedule decision fired: true when a keyframe must be forced now
  // (false when one the encoder made on its own since has served the waiting requests, or when
  // an earlier timer replaced this one).
  bool timerFired(Clock::time_point now, unsigned timer);
  // The encoder emitted a keyframe at `now` (forced or not).
  void keyframeEmitted(Clock::time_point now);

  Duration spacing() const { return spacing_; }
  bool timerArmed() const { return timerArmed_; }

 private:
  void forced(Clock::time_point now);

  const Duration minSpacing_, maxSpacing_, inFlightLimit_;
  Duration spacing_;
  std::optional<Clock::time_point> lastForced_;
  std::optional<Clock::time_point> lastRequest_;
  // The newest request the armed timer serves: a keyframe emitted after it serves them all.
  std::optional<Clock::time_point> newestWaiting_;
  std::optional<Clock::time_point> lastEmitted_;
  bool inFlight_ = false;  // forced, not yet emitted
  bool timerArmed_ = false;
  Clock::time_point timerDue_{};
  unsigned timer_ = 0;  // the armed timer's number; older ones are stale
};

}  // namespace cs
