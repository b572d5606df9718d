#include "media/KeyframeScheduler.h"

#include <algorithm>

namespace cs {

KeyframeScheduler::KeyframeScheduler(Duration minSpacing, Duration maxSpacing,
                                     Duration inFlightLimit)
    : minSpacing_(minSpacing),
      maxSpacing_(std::max(minSpacing, maxSpacing)),
      inFlightLimit_(inFlightLimit),
      spacing_(minSpacing) {}

KeyframeScheduler::Decision KeyframeScheduler::request(Clock::time_point now) {
  // A quiet spell (no request for one spacing) ends a storm: back to prompt keyframes.
  if (!timerArmed_ && lastRequest_ && now - *lastRequest_ >= spacing_) spacing_ = minSpacing_;
  lastRequest_ = now;

  if (timerArmed_) {
    newestWaiting_ = now;
    return {Decision::Action::Coalesced};
  }
  // A forced keyframe not yet out of the encoder is emitted after this request, so the viewer
  // asking (already active) receives it.
  if (inFlight_ && now - *lastForced_ < inFlightLimit_) return {Decision::Action::Coalesced};
  inFlight_ = false;

  if (!lastForced_ || now - *lastForced_ >= spacing_) {
    forced(now);
    return {Decision::Action::ForceNow};
  }
  // Inside the spacing: schedule at its end (rounded up to whole milliseconds), never drop.
  timerArmed_ = true;
  newestWaiting_ = now;
  const auto wait = *lastForced_ + spacing_ - now;
  auto delay = std::chrono::ceil<Duration>(wait);
  if (delay < Duration(1)) delay = Duration(1);
  return {Decision::Action::Schedule, delay};
}

bool KeyframeScheduler::timerFired(Clock::time_point now) {
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
