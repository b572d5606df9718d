#include "stream/StreamEvents.h"

#include <spdlog/spdlog.h>

#include <vector>

namespace cs {
namespace {

int64_t steadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

// Written by the hooks through posted tasks and read on the main loop, except the three atomics
// the media path touches.
struct StreamEvents::State : std::enable_shared_from_this<State> {
  State(MainLoop& l, Settings s) : loop(l), settings(s) {}

  MainLoop& loop;
  const Settings settings;
  std::atomic<uint64_t> nextToken{1};
  // Media path.
  std::atomic<int64_t> lastFrameNs{0};
  std::atomic<bool> flowing{false};        // what the main loop decided last
  std::atomic<bool> recheckPosted{false};  // one evaluation in flight at most
  // Main loop only.
  bool publisher = false;
  int64_t attachedNs = 0;
  bool active = false;
  bool ticking = false;
  bool ended = false;
  unsigned viewers = 0;
  std::map<uint64_t, std::weak_ptr<StreamObserver>> observers;

  // Runs fn on the main loop with the state, if it still exists; an exception (an observer's)
  // never unwinds through GLib.
  template <typename Fn>
  void post(Fn fn) {
    loop.post([weak = weak_from_this(), fn = std::move(fn)]() mutable {
      auto self = weak.lock();
      if (!self) return;
      try {
        fn(*self);
      } catch (const std::exception& e) {
        spdlog::warn("stream events: an observer failed: {}", e.what());
      }
    });
  }

  template <typename Call>
  void notify(Call call) {
    for (auto it = observers.begin(); it != observers.end();) {
      if (auto o = it->second.lock()) {
        call(*o);
        ++it;
      } else {
        it = observers.erase(it);
      }
    }
  }

  // The one place `active` changes: a publisher, and a processed frame since it came that is
  // younger than the stall time.
  void evaluate() {
    const int64_t last = lastFrameNs.load(std::memory_order_relaxed);
    const int64_t stallNs =
        std::chrono::duration_cast<std::chrono::nanoseconds>(settings.stall).count();
    const bool now = !ended && publisher && last > attachedNs && steadyNowNs() - last < stallNs;
    flowing.store(now, std::memory_order_relaxed);
    if (now == active) return;
    active = now;
    if (active) {
      notify([](StreamObserver& o) { o.onActive(); });
      startTicking();
    } else {
      notify([](StreamObserver& o) { o.onInactive(); });
    }
  }

  // While the output flows, the frames stop posting (flowing is set): a timer finds a stall.
  void startTicking() {
    if (ticking) return;
    ticking = true;
    loop.every(settings.tick, [weak = weak_from_this()] {
      auto self = weak.lock();
      if (!self) return false;
      self->evaluate();
      self->ticking = self->active;
      return self->ticking;
    });
  }
};

StreamEvents::StreamEvents(MainLoop& loop, Settings settings)
    : state_(std::make_shared<State>(loop, settings)) {}

StreamEvents::~StreamEvents() {
  shutdown();
}

StreamEvents::Subscription::Subscription(Subscription&& o) noexcept
    : state_(std::move(o.state_)), token_(o.token_) {
  o.token_ = 0;
}

StreamEvents::Subscription& StreamEvents::Subscription::operator=(Subscription&& o) noexcept {
  if (this != &o) {
    reset();
    state_ = std::move(o.state_);
    token_ = o.token_;
    o.token_ = 0;
  }
  return *this;
}

void StreamEvents::Subscription::reset() {
  if (auto s = state_.lock(); s && token_) {
    try {
      s->post([token = token_](State& st) { st.observers.erase(token); });
    } catch (...) {  // out of memory: the observer is held weakly, so it is pruned later
    }
  }
  state_.reset();
  token_ = 0;
}

StreamEvents::Subscription StreamEvents::subscribe(std::weak_ptr<StreamObserver> observer) {
  const uint64_t token = state_->nextToken.fetch_add(1);
  state_->post([token, observer = std::move(observer)](State& st) {
    auto o = observer.lock();
    if (!o) return;
    if (st.ended) return o->onStreamEnded();
    st.observers.emplace(token, observer);
    o->onViewerCount(st.viewers);
    if (st.active) o->onActive();
  });
  return Subscription(state_, token);
}

void StreamEvents::publisherAttached() {
  // Frames made before this call (an earlier publisher's) do not make the new one active;
  // the new publisher's, which may come before the task runs, do.
  state_->post([attachedNs = steadyNowNs()](State& st) {
    st.publisher = true;
    st.attachedNs = attachedNs;
    st.evaluate();
  });
}

void StreamEvents::publisherDetached() {
  state_->post([](State& st) {
    st.publisher = false;
    st.evaluate();
  });
}

void StreamEvents::viewersChanged(unsigned viewers) {
  state_->post([viewers](State& st) {
    if (st.ended || viewers == st.viewers) return;
    st.viewers = viewers;
    st.notify([viewers](StreamObserver& o) { o.onViewerCount(viewers); });
  });
}

void StreamEvents::viewerRemoved(const std::string& viewerId) {
  state_->post([viewerId](State& st) {
    st.notify([&viewerId](StreamObserver& o) { o.onViewerRemoved(viewerId); });
  });
}

void StreamEvents::frameProduced() noexcept {
  State& st = *state_;
  st.lastFrameNs.store(steadyNowNs(), std::memory_order_relaxed);
  if (st.flowing.load(std::memory_order_relaxed)) return;
  if (st.recheckPosted.exchange(true)) return;
  try {
    st.post([](State& s) {
      s.recheckPosted.store(false);
      s.evaluate();
    });
  } catch (...) {  // out of memory: the next frame tries again
    st.recheckPosted.store(false);
  }
}

void StreamEvents::shutdown() {
  // Keeps the state alive until the task ran, so observers learn the end even when the
  // stream is being destroyed.
  state_->loop.post([st = state_] {
    if (st->ended) return;
    st->ended = true;
    st->publisher = false;
    st->flowing.store(false);
    auto observers = std::move(st->observers);
    st->observers.clear();
    for (auto& [_, w] : observers)
      if (auto o = w.lock()) {
        try {
          o->onStreamEnded();
        } catch (const std::exception& e) {
          spdlog::warn("stream events: an observer failed: {}", e.what());
        }
      }
  });
}

}  // namespace cs
