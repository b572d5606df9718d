#pragma once
// What a stream tells observers about itself: whether its processed output flows, how many
// viewers it has, which viewer left, and that it ended. WHEP's server-sent events (the WHEP
// core extensions draft, "Server Sent Events extension") are made from these.
//
// Every observer call runs on the main loop, in the order the changes happened, never on a
// streaming thread: the hooks only post (the media-path hook, frameProduced(), posts at most
// once per change and is lock-free while the output flows).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "util/MainLoop.h"

namespace cs {

class StreamObserver {
 public:
  virtual ~StreamObserver() = default;
  // The stream's processed video flows: a publisher is attached and the workflow has produced
  // a frame since it came (and one within the stall time since).
  virtual void onActive() {}
  // It stopped: the publisher left, or no processed frame came for the stall time (a workflow
  // that fails every frame, a publisher that stopped sending). Not called before onActive.
  virtual void onInactive() {}
  virtual void onViewerCount(unsigned /*viewers*/) {}
  virtual void onViewerRemoved(const std::string& /*viewerId*/) {}
  // The stream was shut down (all its sessions are gone): no further call follows.
  virtual void onStreamEnded() {}
};

class StreamEvents {
 public:
  struct Settings {
    // Without a processed frame for this long, flowing output counts as stopped.
    std::chrono::milliseconds stall{3'000};
    // How often a flowing stream checks for a stall.
    std::chrono::milliseconds tick{1'000};
  };

  explicit StreamEvents(MainLoop& loop) : StreamEvents(loop, Settings{}) {}
  StreamEvents(MainLoop& loop, Settings settings);
  ~StreamEvents();
  StreamEvents(const StreamEvents&) = delete;
  StreamEvents& operator=(const StreamEvents&) = delete;

  struct State;

  // Held by whoever subscribed; unsubscribes when destroyed or reset.
  class Subscription {
   public:
    Subscription() = default;
    Subscription(std::weak_ptr<State> state, uint64_t token)
        : state_(std::move(state)), token_(token) {}
    Subscription(Subscription&& o) noexcept;
    Subscription& operator=(Subscription&& o) noexcept;
    ~Subscription() { reset(); }
    void reset();

   private:
    std::weak_ptr<State> state_;
    uint64_t token_ = 0;
  };

  // Any thread. The observer (held weakly: its owner keeps it alive) first gets the current
  // state on the main loop — onViewerCount, then onActive when the output flows — and then
  // every change. Subscribing to an ended stream gets onStreamEnded at once.
  Subscription subscribe(std::weak_ptr<StreamObserver> observer);

  // The stream's hooks (control plane, any thread but a streaming one, unless noted).
  void publisherAttached();
  void publisherDetached();
  void viewersChanged(unsigned viewers);  // call in the order the changes happened
  void viewerRemoved(const std::string& viewerId);
  void frameProduced() noexcept;  // media path: the worker thread, for every processed frame
  void shutdown();                // idempotent

 private:
  std::shared_ptr<State> state_;
};

}  // namespace cs
