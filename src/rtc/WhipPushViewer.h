#pragma once
// A push: one of a stream's viewers that sends the stream's output on to another WHIP server
// (MediaMTX, a CDN's WHIP ingest, another comfystream), as a WHIP client (RFC 9725 from the
// client's side). Its EgressPeer takes the stream's shared H.264 buffers (and Opus) like a WHEP
// viewer's, through the same leaky queue, but its webrtcbin is the offerer: a sendonly offer with
// every candidate (non-trickle), POSTed by WhipClient; the 201's answer is set, and the session's
// Location DELETEd when the push stops.
//
// It reconnects by itself: when the POST fails or is refused with a status that may change (5xx,
// 409, 429), when ICE/DTLS fails, or when the remote falls silent, the connection is dropped
// (the remote session DELETEd) and a new offer goes out after an exponential back-off with jitter
// (1 s … 30 s). A refusal retrying cannot fix (other 4xx) fails the push and ends the session.
// HTTP and the offer/answer exchange run on the push workers, never on the main loop or a
// streaming thread; teardown runs on the main loop.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "rtc/EgressPeer.h"
#include "rtc/MediaNetwork.h"
#include "rtc/PushStatus.h"
#include "rtc/RetryBackoff.h"
#include "rtc/WhipClient.h"
#include "stream/Stream.h"
#include "stream/Viewer.h"
#include "util/HttpUrl.h"
#include "util/MainLoop.h"
#include "util/WorkerPool.h"

namespace cs {

// What every push of the server shares; PushService owns it (and stops the workers first).
struct PushRuntime {
  PushRuntime(MainLoop& l, MediaNetwork net, WhipClient c, unsigned threads)
      : loop(l), network(std::move(net)), client(std::move(c)), workers("cs:push", threads, 256) {}
  MainLoop& loop;
  const MediaNetwork network;
  const WhipClient client;
  WorkerPool workers;
};

class WhipPushViewer final : public Viewer,
                             public Viewer::Listener,
                             public std::enable_shared_from_this<WhipPushViewer> {
 public:
  struct Options {
    HttpUrl url;
    std::string token;  // "Authorization: Bearer" to the remote; empty: none
    bool withAudio = false;
    // A connection that has not come up this long after the answer is given up and retried.
    std::chrono::milliseconds connectTimeout{15'000};
    // A live connection from which nothing (RTCP, STUN) has come for this long is retried:
    // webrtcbin 1.22 has no consent freshness (docs/GSTREAMER-NOTES.md §G11).
    std::chrono::milliseconds silenceTimeout{10'000};
    std::chrono::milliseconds backoffInitial{1'000};
    std::chrono::milliseconds backoffCap{30'000};
  };

  WhipPushViewer(SessionInfo info, Options opts, const std::shared_ptr<Stream>& stream,
                 std::shared_ptr<PushRuntime> runtime);
  ~WhipPushViewer() override;

  // Starts the first attempt (on a worker). Call once it is attached to its stream.
  void start();
  // Main loop only, never blocks: drops the connection; the remote session is DELETEd on a
  // worker, after which finished() holds.
  void stop() override;
  // Main loop, every second: gives up connections that did not come up or went silent.
  void tick();
  bool waitFinished(std::chrono::milliseconds timeout) const;
  bool finished() const;
  PushStatus status() const;

  // Viewer.
  std::optional<VideoCodec> videoCodec() const override { return VideoCodec::H264; }
  bool takesAudio() const override { return opts_.withAudio; }
  void onVideo(GstSample* encoded) noexcept override;
  void onAudio(GstSample* opus) noexcept override;
  ConnectionState state() const override;
  // The push watches its own connection (tick()); the registry's watchdog leaves it alone, as it
  // must not remove a push that is between attempts.
  std::chrono::steady_clock::time_point lastActivity() const override {
    return std::chrono::steady_clock::now();
  }
  ViewerStats stats() const override;
  // Viewer::Listener: its peers' keyframe requests go to the stream, while the stream exists.
  void onKeyframeRequest(VideoCodec codec) noexcept override;

 private:
  void post(uint64_t generation);     // any thread: an attempt on a worker
  void attempt(uint64_t generation);  // worker
  void onPeerState(uint64_t generation, GstWebRTCPeerConnectionState st);  // webrtcbin thread
  // Any thread: drops the current connection and schedules the next attempt.
  void retry(uint64_t generation, const std::string& why,
             std::optional<std::chrono::seconds> atLeast = std::nullopt);
  void fail(uint64_t generation, const std::string& why);  // any thread
  // Takes the current peer out (mu_ held) and stops it on the main loop.
  void retireLocked();
  void endRemote(std::unique_lock<std::mutex>& attemptLock);  // worker, attemptMu_ held
  void finish();                                              // worker

  const Options opts_;
  const std::weak_ptr<Stream> stream_;
  const GstClockTime baseTime_;
  const std::shared_ptr<PushRuntime> rt_;
  const double startedAt_;

  // The current connection: read lock-free on the media path, replaced on each attempt.
  std::atomic<std::shared_ptr<EgressPeer>> peer_;
  std::atomic<uint64_t> bytes_{0};

  std::mutex attemptMu_;             // one attempt (or the final DELETE) at a time
  std::optional<HttpUrl> location_;  // the remote session, while one exists (attemptMu_)

  mutable std::mutex mu_;
  mutable std::condition_variable finishedCv_;
  uint64_t generation_ = 1;  // bumped when an attempt is abandoned: late callbacks are ignored
  PushState state_ = PushState::Connecting;
  unsigned attempts_ = 0;
  std::string lastError_;
  RetryBackoff backoff_;
  std::chrono::steady_clock::time_point nextAttemptAt_{};
  std::optional<std::chrono::steady_clock::time_point> answeredAt_;  // connecting after answer
  double liveSince_ = 0;
  uint64_t sentBefore_ = 0, droppedBefore_ = 0;         // counts of the connections retired
  uint64_t netSentBefore_ = 0, netReceivedBefore_ = 0;  // their transports' bytes (/metrics)
  bool stopping_ = false;
  bool finished_ = false;
};

}  // namespace cs
