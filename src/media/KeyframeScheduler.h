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
// - the spacing starts at `minSpacing` (a new viewer waits at most that long for its keyframe)
//   and doubles, up to `maxSpacing`, each time a scheduled keyframe fires, i.e. while requests
//   keep arriving faster than keyframes go out (a PLI storm, a crowd joining); it returns to
//   `minSpacing` after a quiet spell of one spacing with no request. A storm so costs at most one
//   keyframe per `maxSpacing`, and a lone new viewer never waits a whole storm window.
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

  struct Decision {
    enum class Action {
      ForceNow,  // force a keyframe now
      Schedule,  // arm one timer: call timerFired() after `delay`
      Coalesced  // nothing to do: a keyframe already on its way or scheduled serves this request
    };
    Action action = Action::Coalesced;
    Duration delay{0};
  };

  // A viewer needs a keyframe (sent at `now`).
  Decision request(Clock::time_point now);
  // The timer armed by a Schedule decision fired: true when a keyframe must be forced now
  // (false when one the encoder made on its own since has served the waiting requests).
  bool timerFired(Clock::time_point now);
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
};

}  // namespace cs
