#include "media/KeyframeScheduler.h"

#include <algorithm>

namespace cs {

KeyframeScheduler::KeyframeScheduler(Duration minSpacing, Duration maxSpacing,
                                     Duration inFlightLimit)
    : minSpacing_(minSpacing),
      maxSpacing_(std::max(minSpacing, maxSpacing)),
      inFlightLimit_(inFlightLimit),
      spacing_(minSpacing) {}

KeyframeScheduler::Decision KeyframeScheduler::request(Clock::time_point now, Urgency urgency) {
  // A quiet spell (no request for one spacing) ends a storm: back to prompt keyframes.
  if (!timerArmed_ && lastRequest_ && now - *lastRequest_ >= spacing_) spacing_ = minSpacing_;
  lastRequest_ = now;

  // A forced keyframe not yet out of the encoder is emitted after this request, so the viewer
  // asking (already active) receives it.
  if (inFlight_ && now - *lastForced_ < inFlightLimit_) return {Decision::Action::Coalesced};
  inFlight_ = false;

  const Duration spacing = urgency == Urgency::NewViewer ? minSpacing_ : spacing_;
  const Clock::time_point due = lastForced_ ? *lastForced_ + spacing : now;
  if (due <= now) {
    // The armed timer (if any) then finds this keyframe emitted after its requests: it forces
    // nothing more.
    forced(now);
    return {Decision::Action::ForceNow};
  }
  newestWaiting_ = now;
  if (timerArmed_ && timerDue_ <= due) return {Decision::Action::Coalesced};
  // Inside the spacing: schedule at its end (rounded up to whole milliseconds), never drop. An
  // armed timer due later (a storm's) is replaced by this earlier one.
  timerArmed_ = true;
  timerDue_ = due;
  auto delay = std::chrono::ceil<Duration>(due - now);
  if (delay < Duration(1)) delay = Duration(1);
  return {Decision::Action::Schedule, delay, ++timer_};
}

bool KeyframeScheduler::timerFired(Clock::time_point now, unsigned timer) {
  if (!timerArmed_ || timer != timer_) return false;  // replaced by an earlier timer, or served
  timerArmed_ = false;
  const bool served = lastEmitted_ && newestWaiting_ && *lastEmitted_ > *newestWaiting_;
  newestWaiting_.reset();
  if (served) return false;  // the encoder's own keyframe went out after every waiting request
  // Requests came in faster than keyframes went out: space the next ones further apart.
  spacing_ = std::min(spacing_ * 2, maxSpacing_);
  forced(now);
  return true;
}

void KeyframeScheduler::keyframeEmitted(Clock::time_point now) {
  lastEmitted_ = now;
  inFlight_ = false;
}

void KeyframeScheduler::forced(Clock::time_point now) {
  lastForced_ = now;
  inFlight_ = true;
}

}  // namespace cs
