#pragma once
// Reads one trickle channel from its live edge (go-livepeer's trickle_subscriber.go behaviour, on
// libcurl): GET `{channel}/{seq}`, body bytes handed on as they arrive, the next segment's GET
// preconnected while the current one is read, next seq = Lp-Trickle-Seq + 1. 470 jumps to
// Lp-Trickle-Latest; 404 ends with NotFound; Lp-Trickle-Closed ends with Closed; connection
// errors, timeouts and other statuses are retried with back-off (ChannelOptions), then Failed.
// A GET for a segment not yet written waits as long as the publisher is silent; one still waiting
// for its headers is re-issued every kRefreshInterval (as go does) so a dead connection cannot
// hang the channel, and TCP keepalive covers a body that stalls on a dead peer.
//
// One thread per subscriber drives libcurl's multi interface (the current and the preconnected
// transfer); every Handler call runs there.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "trickle/TrickleProtocol.h"

namespace cs::trickle {

class TrickleSubscriber {
 public:
  // Go's preconnectRefreshTimeout.
  static constexpr std::chrono::seconds kRefreshInterval{20};

  struct Handler {  // all called on the subscriber's own thread, one at a time; must not block long
    std::function<void(int64_t seq)> segmentStarted;             // a 200 response began
    std::function<void(const uint8_t* data, size_t size)> data;  // body bytes as they arrive
    std::function<void(int64_t seq)> segmentEnded;               // its body ended (EOF): complete
    std::function<void(ChannelEnd end, const std::string& why)> ended;  // exactly once, last
    // Optional: a started segment that will not complete (its connection broke, or it grew past
    // maxSegmentBytes); its remaining bytes are lost and reading goes on with the next seq.
    std::function<void(int64_t seq, const std::string& why)> segmentAborted;
  };
  struct Options : ChannelOptions {
    int64_t startSeq = kCurrentSeq;
    size_t maxSegmentBytes = 64u << 20;
    // A GET still waiting for its response headers after this long is re-issued (go: 20 s).
    std::chrono::milliseconds refreshInterval = kRefreshInterval;
  };
  struct Stats {
    uint64_t segments = 0;  // completed
    uint64_t bytes = 0;
    uint64_t retries = 0;
    uint64_t jumps = 0;  // 470s followed
    int64_t seq = -1;    // the segment being read (or last read)
    std::chrono::steady_clock::time_point lastData{};
  };

  TrickleSubscriber(std::string channelUrl, Options options, Handler handler);
  ~TrickleSubscriber();
  TrickleSubscriber(const TrickleSubscriber&) = delete;
  TrickleSubscriber& operator=(const TrickleSubscriber&) = delete;

  // Starts the thread; once only. `ended` is called exactly once after start() (with Stopped when
  // stop() ends it); never when start() was not called.
  void start();
  // Idempotent, joins; no handler runs after it returns. Never call it from a handler.
  void stop();
  Stats stats() const;  // any thread

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cs::trickle
