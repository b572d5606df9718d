#include "rtc/WhipPushViewer.h"

#include <gst/sdp/sdp.h>
#include <spdlog/spdlog.h>

#include "rtc/PushOffer.h"
#include "rtc/WebRtcSession.h"
#include "util/LogEscape.h"
#include "util/RateLimitedLog.h"

namespace cs {
namespace {

// The offer/answer exchange with webrtcbin (the HTTP exchange has its own bounds).
constexpr auto kNegotiationTimeout = std::chrono::seconds(5);
// The payload types the offer uses (the dynamic range, RFC 3551 §6); the answer echoes them.
constexpr int kVideoPayload = 96;
constexpr int kAudioPayload = 111;

double unixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

WhipPushViewer::WhipPushViewer(SessionInfo info, Options opts,
                               const std::shared_ptr<Stream>& stream,
                               std::shared_ptr<PushRuntime> runtime)
    : Viewer(std::move(info)),
      opts_(std::move(opts)),
      stream_(stream),
      baseTime_(stream->baseTime()),
      rt_(std::move(runtime)),
      startedAt_(this->info().createdAt > 0 ? this->info().createdAt : unixNow()),
      backoff_(opts_.backoffInitial, opts_.backoffCap) {}

WhipPushViewer::~WhipPushViewer() = default;

void WhipPushViewer::start() {
  spdlog::info("push {} of stream '{}' to {}", id(), logSafe(streamId()),
               logSafe(opts_.url.str(), 200));
  post(1);
}

void WhipPushViewer::post(uint64_t generation) {
  if (!rt_->workers.tryPost([weak = weak_from_this(), generation] {
        if (auto self = weak.lock()) self->attempt(generation);
      }))
    retry(generation, "the push workers are busy (or shutting down)");
}

void WhipPushViewer::attempt(uint64_t generation) {
  std::unique_lock attemptLock(attemptMu_);
  {
    std::lock_guard lock(mu_);
    if (stopping_ || generation != generation_) return;
    state_ = PushState::Connecting;
    answeredAt_.reset();
    ++attempts_;
  }
  // The previous connection's session first: a server that allows one publisher per stream
  // (comfystream does) would refuse the new offer with 409 until it timed the old one out.
  endRemote(attemptLock);
  std::shared_ptr<EgressPeer> peer;
  try {
    std::vector<MediaChoice> media;
    media.push_back({MediaChoice::Kind::Video, 0, kVideoPayload, VideoCodec::H264, {}, {}});
    if (opts_.withAudio)
      media.push_back({MediaChoice::Kind::Audio, 1, kAudioPayload, VideoCodec::H264, {}, {}});
    peer = std::make_shared<EgressPeer>("push-" + id().substr(0, 8), rt_->network, baseTime_, media,
                                        *this);
    peer->connection().onStateChange(
        [weak = weak_from_this(), generation](GstWebRTCPeerConnectionState st) {
          if (auto self = weak.lock()) self->onPeerState(generation, st);
        });
    {
      std::lock_guard lock(mu_);
      if (stopping_ || generation != generation_) {
        rt_->loop.post([peer, self = shared_from_this()] { peer->connection().stop(); });
        return;
      }
      peer_.store(peer);
    }
    peer->connection().play();
    const std::string offer =
        announceH264Profile(peer->connection().offer(kNegotiationTimeout), kVideoPayload);
    const WhipClient::Session session = rt_->client.post(opts_.url, opts_.token, offer);
    location_ = session.location;
    GstSDPMessage* msg = nullptr;
    gst_sdp_message_new(&msg);
    SdpMessagePtr answer(msg);
    if (gst_sdp_message_parse_buffer(reinterpret_cast<const guint8*>(session.answer.data()),
                                     static_cast<guint>(session.answer.size()),
                                     answer.get()) != GST_SDP_OK)
      throw WhipError("the WHIP server's answer is not SDP", true, 201);
    {
      std::lock_guard lock(mu_);
      if (stopping_ || generation != generation_) return;  // finish() DELETEs the session
    }
    try {
      peer->connection().acceptAnswer(std::move(answer), kNegotiationTimeout);
    } catch (const ControlError& e) {
      // The remote's answer is one webrtcbin cannot take: offering again gets the same answer.
      throw WhipError(std::string("the WHIP server's answer was not accepted: ") + e.what(), true,
                      201);
    }
    std::lock_guard lock(mu_);
    if (generation == generation_ && state_ == PushState::Connecting)
      answeredAt_ = std::chrono::steady_clock::now();
    spdlog::info("push {}: {} answered (attempt {}), connecting", id(),
                 logSafe(opts_.url.str(), 200), attempts_);
  } catch (const WhipError& e) {
    if (e.permanent())
      fail(generation, e.what());
    else
      retry(generation, e.what(), e.retryAfter());
  } catch (const std::exception& e) {
    retry(generation, e.what());
  }
}

void WhipPushViewer::onPeerState(uint64_t generation, GstWebRTCPeerConnectionState st) {
  std::shared_ptr<EgressPeer> peer;
  {
    std::lock_guard lock(mu_);
    if (stopping_ || generation != generation_) return;
    if (st == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED) {
      state_ = PushState::Live;
      answeredAt_.reset();
      liveSince_ = unixNow();
      backoff_.reset();
      peer = peer_.load();
    }
  }
  if (peer) {
    spdlog::info("push {}: live to {}", id(), logSafe(opts_.url.str(), 200));
    // webrtcbin blocks its sinks until DTLS is up (docs/GSTREAMER-NOTES.md §G15): media from
    // now on, starting with a keyframe.
    peer->activate();
  } else if (isDead(st)) {
    retry(generation, "ICE/DTLS failed");
  }
}

void WhipPushViewer::retireLocked() {
  auto peer = peer_.exchange(nullptr);
  if (!peer) return;
  sentBefore_ += peer->framesSent();
  droppedBefore_ += peer->framesDropped();
  netSentBefore_ += peer->connection().bytesSent();
  netReceivedBefore_ += peer->connection().bytesReceived();
  // A pipeline is set to NULL on the main loop only (docs/GSTREAMER-NOTES.md §G14); the push
  // stays alive until then, as its peer calls it for keyframes.
  rt_->loop.post([peer, self = shared_from_this()] { peer->connection().stop(); });
}

void WhipPushViewer::retry(uint64_t generation, const std::string& why,
                           std::optional<std::chrono::seconds> atLeast) {
  std::chrono::milliseconds delay;
  uint64_t next;
  {
    std::lock_guard lock(mu_);
    if (stopping_ || generation != generation_) return;
    next = ++generation_;
    retireLocked();
    state_ = PushState::Retrying;
    lastError_ = why;
    answeredAt_.reset();
    liveSince_ = 0;
    delay = backoff_.next(atLeast.value_or(std::chrono::seconds(0)));
    nextAttemptAt_ = std::chrono::steady_clock::now() + delay;
  }
  CS_LOG_LIMITED(spdlog::level::warn, "push {}: {}; retrying in {:.1f} s", id(), logSafe(why, 300),
                 delay.count() / 1000.0);
  rt_->loop.after(delay, [weak = weak_from_this(), next] {
    if (auto self = weak.lock()) self->post(next);
  });
}

void WhipPushViewer::fail(uint64_t generation, const std::string& why) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || generation != generation_) return;
    ++generation_;
    retireLocked();
    state_ = PushState::Failed;
    lastError_ = why;
    liveSince_ = 0;
  }
  spdlog::error("push {} of stream '{}' failed: {}", id(), logSafe(streamId()), logSafe(why, 300));
  // The registry takes it off its stream and stops it; its status stays readable.
  ended("push failed: " + why);
}

void WhipPushViewer::tick() {
  const auto now = std::chrono::steady_clock::now();
  uint64_t generation;
  std::string why;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    generation = generation_;
    if (state_ == PushState::Connecting && answeredAt_ && now - *answeredAt_ > opts_.connectTimeout)
      why = "ICE/DTLS did not connect within " +
            std::to_string(opts_.connectTimeout.count() / 1000) + " s";
    if (state_ == PushState::Live) {
      if (auto peer = peer_.load();
          peer && now - peer->connection().lastReceived() > opts_.silenceTimeout)
        why = "nothing heard from the WHIP server for " +
              std::to_string(opts_.silenceTimeout.count() / 1000) + " s";
    }
  }
  if (!why.empty()) retry(generation, why);
}

void WhipPushViewer::stop() {
  std::shared_ptr<EgressPeer> peer;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    ++generation_;
    // Stopped from now on, whatever an attempt in flight was doing; finished() says when the
    // remote session is gone too.
    if (state_ != PushState::Failed) state_ = PushState::Stopped;
    liveSince_ = 0;
    peer = peer_.exchange(nullptr);
    if (peer) {
      sentBefore_ += peer->framesSent();
      droppedBefore_ += peer->framesDropped();
      netSentBefore_ += peer->connection().bytesSent();
      netReceivedBefore_ += peer->connection().bytesReceived();
    }
  }
  if (peer) peer->connection().stop();  // main loop
  // The remote session is DELETEd on a worker, after any attempt in flight has given up.
  if (!rt_->workers.tryPost([self = shared_from_this()] { self->finish(); })) {
    spdlog::warn("push {}: the workers are gone; the remote session is left to time out", id());
    std::lock_guard lock(mu_);
    if (state_ != PushState::Failed) state_ = PushState::Stopped;
    finished_ = true;
    finishedCv_.notify_all();
  }
}

void WhipPushViewer::endRemote(std::unique_lock<std::mutex>&) {
  if (!location_) return;
  const HttpUrl session = *location_;
  location_.reset();
  try {
    rt_->client.end(session, opts_.token);
  } catch (const std::exception& e) {
    CS_LOG_LIMITED(spdlog::level::warn, "push {}: could not DELETE the remote session: {}", id(),
                   logSafe(e.what(), 300));
  }
}

void WhipPushViewer::finish() {
  std::unique_lock attemptLock(attemptMu_);
  endRemote(attemptLock);
  PushStatus st;
  {
    std::lock_guard lock(mu_);
    if (state_ != PushState::Failed) state_ = PushState::Stopped;
    liveSince_ = 0;
    finished_ = true;
  }
  finishedCv_.notify_all();
  st = status();
  spdlog::info("push {} {}: {} attempts, {} frames sent ({} dropped), {} bytes", id(),
               toString(st.state), st.attempts, st.framesSent, st.framesDropped, st.bytesSent);
}

bool WhipPushViewer::finished() const {
  std::lock_guard lock(mu_);
  return finished_;
}

bool WhipPushViewer::waitFinished(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return finishedCv_.wait_for(lock, timeout, [&] { return finished_; });
}

void WhipPushViewer::onVideo(GstSample* encoded) noexcept {
  const auto peer = peer_.load();
  if (!peer) return;
  const uint64_t before = peer->framesSent();
  peer->pushVideo(encoded);
  if (peer->framesSent() != before)
    if (GstBuffer* buf = gst_sample_get_buffer(encoded))
      bytes_.fetch_add(gst_buffer_get_size(buf), std::memory_order_relaxed);
}

void WhipPushViewer::onAudio(GstSample* opus) noexcept {
  if (const auto peer = peer_.load()) peer->pushAudio(opus);
}

void WhipPushViewer::onKeyframeRequest(VideoCodec codec) noexcept {
  if (auto s = stream_.lock()) s->onKeyframeRequest(codec);
}

PushStatus WhipPushViewer::status() const {
  PushStatus s;
  s.id = id();
  s.streamId = streamId();
  s.url = opts_.url.str();
  s.startedAt = startedAt_;
  s.hasAudio = opts_.withAudio;
  s.bytesSent = bytes_.load(std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  s.state = state_;
  s.attempts = attempts_;
  s.lastError = lastError_;
  s.liveSince = liveSince_;
  s.framesSent = sentBefore_;
  s.framesDropped = droppedBefore_;
  if (auto peer = peer_.load()) {
    s.framesSent += peer->framesSent();
    s.framesDropped += peer->framesDropped();
  }
  if (state_ == PushState::Retrying)
    s.retryIn = std::max(
        0.0,
        std::chrono::duration<double>(nextAttemptAt_ - std::chrono::steady_clock::now()).count());
  return s;
}

ConnectionState WhipPushViewer::state() const {
  switch (status().state) {
    case PushState::Live:
      return ConnectionState::Connected;
    case PushState::Connecting:
    case PushState::Retrying:
      return ConnectionState::Connecting;
    case PushState::Stopped:
      return ConnectionState::Closed;
    case PushState::Failed:
      return ConnectionState::Failed;
  }
  return ConnectionState::Closed;
}

ViewerStats WhipPushViewer::stats() const {
  const PushStatus st = status();
  ViewerStats v;
  v.info = info();
  v.state = state();
  v.videoCodec = VideoCodec::H264;
  v.hasAudio = opts_.withAudio;
  v.framesSent = st.framesSent;
  v.framesDropped = st.framesDropped;
  v.kind = ViewerKind::Push;
  // Every connection it made, so the stream's network counters never go down on a reconnect.
  std::lock_guard lock(mu_);
  v.bytesSent = netSentBefore_;
  v.bytesReceived = netReceivedBefore_;
  if (auto peer = peer_.load()) {
    v.bytesSent += peer->connection().bytesSent();
    v.bytesReceived += peer->connection().bytesReceived();
  }
  return v;
}

}  // namespace cs
