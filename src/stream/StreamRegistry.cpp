#include "stream/StreamRegistry.h"

#include <spdlog/spdlog.h>

#include "util/ControlError.h"
#include "util/LogEscape.h"
#include "util/RandomId.h"
#include "util/Utf8.h"
#include "workflow/GraphWorkflow.h"
#include "workflow/Prompt.h"

namespace cs {
namespace {

double unixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const char* stateName(GstWebRTCPeerConnectionState s) {
  switch (s) {
    case GST_WEBRTC_PEER_CONNECTION_STATE_NEW: return "new";
    case GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTING: return "connecting";
    case GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED: return "connected";
    case GST_WEBRTC_PEER_CONNECTION_STATE_DISCONNECTED: return "disconnected";
    case GST_WEBRTC_PEER_CONNECTION_STATE_FAILED: return "failed";
    case GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED: return "closed";
  }
  return "unknown";
}

bool isDead(GstWebRTCPeerConnectionState s) {
  return s == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED ||
         s == GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED;
}

}  // namespace

void validateStreamId(const std::string& streamId) {
  if (!isSafeIdentifier(streamId, kMaxStreamIdBytes))
    throw ControlError(ErrorKind::BadRequest,
                       "invalid stream id '" + logSafe(streamId, 64) + "': 1-" +
                           std::to_string(kMaxStreamIdBytes) +
                           " bytes of UTF-8 without control characters");
}

StreamRegistry::StreamRegistry(RegistrySettings settings, MainLoop& loop)
    : settings_(std::move(settings)),
      loop_(loop),
      workflows_(settings_.workspace),
      models_(settings_.workspace),
      warmups_("cs:warmup", settings_.warmupThreads, settings_.warmupQueue) {
  models_.setMaxModelBytes(settings_.limits.maxModelBytes);
  loop_.every(std::chrono::seconds(1), [this, alive = std::weak_ptr<bool>(alive_)] {
    if (alive.expired()) return false;
    sweep();
    return true;
  });
}

StreamRegistry::~StreamRegistry() { shutdown(); }

std::shared_ptr<Stream> StreamRegistry::findOrCreateStreamLocked(const std::string& streamId) {
  auto& s = streams_[streamId];
  if (!s) s = std::make_shared<Stream>(streamId, settings_.videoBitrate, loop_);
  return s;
}

void StreamRegistry::dropStreamIfEmptyLocked(const std::shared_ptr<Stream>& s,
                                             std::vector<std::shared_ptr<Stream>>& retired) {
  if (!s || !s->empty()) return;
  auto it = streams_.find(s->id());
  if (it != streams_.end() && it->second == s) {
    retired.push_back(s);
    streams_.erase(it);
  }
}

StreamRegistry::Created StreamRegistry::publish(const std::string& streamId,
                                                const std::string& workflowName,
                                                const std::string& offerText,
                                                const std::string& clientAddress) {
  validateStreamId(streamId);
  checkPending(clientAddress);
  spdlog::debug("WHIP: offer for stream {}:\n{}", logSafe(streamId), logSafe(offerText, 16384));
  const SdpOffer offer = SdpOffer::parse(offerText, OfferRole::Publisher);
  const std::string wfName = workflowName.empty() ? "passthrough" : workflowName;
  auto body = std::make_shared<const nlohmann::json>(workflows_.load(wfName));
  return publishWorkflow(
      streamId, wfName,
      [wfName, body](NodeContext& ctx) { return GraphWorkflow::build(wfName, *body, ctx); }, offer,
      512, 512, clientAddress);
}

StreamRegistry::Created StreamRegistry::publishPrompts(const std::string& streamId,
                                                       const nlohmann::json& prompts,
                                                       const std::string& offerText, int width,
                                                       int height) {
  validateStreamId(streamId);
  const SdpOffer offer = SdpOffer::parse(offerText, OfferRole::Publisher);
  auto body = std::make_shared<const nlohmann::json>(prompts);
  return publishWorkflow(
      streamId, "prompts",
      [body](NodeContext& ctx) { return GraphWorkflow::build("prompts", *body, ctx); }, offer,
      width, height);
}

std::shared_ptr<GraphWorkflow> StreamRegistry::prepareWorkflow(const WorkflowBuilder& build,
                                                               NodeContext ctx,
                                                               const std::shared_ptr<Stream>& stream,
                                                               const std::string& what) {
  if (!settings_.limits.allowsImage(ctx.width, ctx.height))
    throw ControlError(ErrorKind::BadRequest,
                       "the requested size " + settings_.limits.describeImage(ctx.width, ctx.height));
  return warmups_.run<std::shared_ptr<GraphWorkflow>>(
      [build, ctx, stream](const CancelFlag& cancel) mutable {
        auto wf = build(ctx);
        if (!cancel->load()) stream->warmUpWorkflow(*wf, cancel.get());
        return wf;
      },
      settings_.warmupTimeout, "compiling and warming up " + what);
}

StreamRegistry::Created StreamRegistry::publishWorkflow(const std::string& streamId,
                                                        const std::string& wfName,
                                                        const WorkflowBuilder& build,
                                                        const SdpOffer& offer, int width,
                                                        int height,
                                                        const std::string& clientAddress) {
  // Conflict and capacity first: a refused publish costs no compilation.
  std::shared_ptr<Stream> stream;
  {
    std::lock_guard lock(mu_);
    auto it = streams_.find(streamId);
    if (it != streams_.end() && it->second->hasPublisher())
      throw ControlError(ErrorKind::Conflict, "stream '" + logSafe(streamId) + "' already has a publisher");
    unsigned live = 0;
    for (const auto& [_, s] : streams_) live += s->hasPublisher() ? 1 : 0;
    if (live >= settings_.maxStreams)
      throw ControlError(ErrorKind::Capacity, "the server already carries " +
                                                  std::to_string(live) + " streams (--max-streams)");
    stream = findOrCreateStreamLocked(streamId);
    stream->reservePublisher();
  }

  auto pub = std::make_shared<Publisher>();
  pub->id = newRandomId();
  pub->clientAddress = clientAddress;
  try {
    stream->setTargetSize(width, height);
    stream->installWorkflow(prepareWorkflow(build, nodeContext(width, height), stream,
                                            "workflow '" + logSafe(wfName) + "'"));
  } catch (...) {
    std::vector<std::shared_ptr<Stream>> retired;
    {
      std::lock_guard lock(mu_);
      stream->releasePublisher();
      dropStreamIfEmptyLocked(stream, retired);
    }
    if (!retired.empty()) loop_.invokeSync([&] { for (auto& r : retired) r->shutdown(); });
    throw;
  }
  pub->streamId = streamId;
  pub->workflow = wfName;
  pub->createdAt = unixNow();
  std::string answer;
  try {
    Stream* s = stream.get();  // outlives the peer: the peer is stopped before the stream
    pub->peer = std::make_unique<IngestPeer>(
        "whip-" + pub->id.substr(0, 8), settings_.network, stream->baseTime(), offer,
        IngestPeer::Sinks{[s](GstSample* x) { s->onDecodedVideo(x); },
                          [s](GstSample* x) { s->onIngestAudio(x); }});
    pub->control = std::make_shared<ControlChannel>(stream, controlTasks_, /*mayControl=*/true, nodeContext(),
                                                    controlPreparer());
    pub->peer->connection().onDataChannel(
        [ctl = pub->control](GstWebRTCDataChannel* ch) { ctl->attach(ch); });
    const std::string id = pub->id;
    auto alive = std::weak_ptr<bool>(alive_);
    pub->peer->connection().onStateChange([this, id, alive](GstWebRTCPeerConnectionState st) {
      spdlog::info("WHIP: Connection state is: {} ({})", stateName(st), id);
      if (isDead(st))
        loop_.post([this, id, alive] {
          if (!alive.expired()) removePublisher(id, "connection failed");
        });
    });
    answer = pub->peer->negotiate(offer, settings_.network.publicIp);
    spdlog::debug("WHIP: answer {}:\n{}", pub->id, answer);
  } catch (...) {
    if (pub->peer) loop_.invokeSync([&] { pub->peer->connection().stop(); });
    std::vector<std::shared_ptr<Stream>> retired;
    {
      std::lock_guard lock(mu_);
      stream->releasePublisher();
      dropStreamIfEmptyLocked(stream, retired);
    }
    if (!retired.empty()) loop_.invokeSync([&] { for (auto& r : retired) r->shutdown(); });
    throw;
  }
  {
    std::lock_guard lock(mu_);
    publishers_[pub->id] = pub;
    stream->attachPublisher(pub);
  }
  // The encoders may hold a picture from an earlier publisher: give viewers a clean start.
  for (int c = 0; c < kVideoCodecCount; ++c) stream->requestKeyframe(static_cast<VideoCodec>(c));
  spdlog::info("WHIP: Created ingest session {} for stream {} (workflow {}, video {}, audio {})",
               pub->id, logSafe(streamId), logSafe(wfName),
               pub->peer->videoCodec() ? toString(*pub->peer->videoCodec()) : "none",
               pub->peer->hasAudio() ? "opus" : "none");
  return {pub->id, answer};
}

StreamRegistry::Created StreamRegistry::subscribe(const std::string& streamId,
                                                  const std::string& offerText,
                                                  const std::string& clientAddress) {
  validateStreamId(streamId);
  checkPending(clientAddress);
  const SdpOffer offer = SdpOffer::parse(offerText, OfferRole::Viewer);
  std::shared_ptr<Stream> stream;
  {
    std::lock_guard lock(mu_);
    auto it = streams_.find(streamId);
    // WHEP §4.3.8: no live publication → 409 with Retry-After, never 404.
    if (it == streams_.end() || !it->second->hasLivePublisher())
      throw ControlError(ErrorKind::NoPublisher, "stream '" + logSafe(streamId) + "' has no publisher");
    stream = it->second;
    if (!stream->reserveViewer(settings_.maxViewers))
      throw ControlError(ErrorKind::Capacity,
                         "stream '" + logSafe(streamId) + "' already has " +
                             std::to_string(settings_.maxViewers) + " viewers (--max-viewers)");
  }

  auto viewer = std::make_shared<Viewer>();
  viewer->id = newRandomId();
  viewer->clientAddress = clientAddress;
  viewer->streamId = streamId;
  viewer->createdAt = unixNow();
  std::string answer;
  try {
    if (const MediaChoice* v = offer.video()) stream->ensureEncoder(v->videoCodec);
    Stream* s = stream.get();
    const auto codec = offer.video() ? offer.video()->videoCodec : VideoCodec::H264;
    viewer->peer = std::make_unique<EgressPeer>(
        "whep-" + viewer->id.substr(0, 8), settings_.network, stream->baseTime(), offer,
        [s, codec] { s->requestKeyframe(codec); });
    EgressPeer* peer = viewer->peer.get();
    viewer->control = std::make_shared<ControlChannel>(stream, controlTasks_, /*mayControl=*/false, nodeContext());
    peer->connection().onDataChannel(
        [ctl = viewer->control](GstWebRTCDataChannel* ch) { ctl->attach(ch); });
    const std::string id = viewer->id;
    auto alive = std::weak_ptr<bool>(alive_);
    peer->connection().onStateChange([this, id, alive, peer](GstWebRTCPeerConnectionState st) {
      spdlog::info("WHEP: Connection state is: {} ({})", stateName(st), id);
      if (st == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED) peer->activate();
      if (isDead(st))
        loop_.post([this, id, alive] {
          if (!alive.expired()) removeViewer(id, "connection failed");
        });
    });
    spdlog::debug("WHEP: offer for stream {}:\n{}", logSafe(streamId), logSafe(offerText, 16384));
    answer = peer->negotiate(offer, settings_.network.publicIp);
    spdlog::debug("WHEP: answer {}:\n{}", viewer->id, answer);
  } catch (...) {
    if (viewer->peer) loop_.invokeSync([&] { viewer->peer->connection().stop(); });
    std::vector<std::shared_ptr<Stream>> retired;
    {
      std::lock_guard lock(mu_);
      stream->releaseViewer();
      dropStreamIfEmptyLocked(stream, retired);
    }
    if (!retired.empty()) loop_.invokeSync([&] { for (auto& r : retired) r->shutdown(); });
    throw;
  }
  unsigned total = 0;
  {
    std::lock_guard lock(mu_);
    viewers_[viewer->id] = viewer;
    stream->addViewer(viewer);
    total = stream->viewerCount();
  }
  spdlog::info("WHEP: Created subscription session {} for stream {} (video {})", viewer->id,
               logSafe(streamId), viewer->peer->videoCodec() ? toString(*viewer->peer->videoCodec()) : "none");
  spdlog::info("WHEP: Added subscriber {}, total: {}", viewer->id, total);
  return {viewer->id, answer};
}

StreamRegistry::Created StreamRegistry::offer(const std::string& offerText,
                                              const nlohmann::json& prompts, int width,
                                              int height, const std::string& clientAddress) {
  checkPending(clientAddress);
  const SdpOffer offer = SdpOffer::parse(offerText, OfferRole::Duplex);
  const bool noop = prompts.is_null() || prompts.empty();
  const std::string wfName = noop ? "passthrough" : "offer";
  auto body = std::make_shared<const nlohmann::json>(noop ? defaultPrompt() : prompts);
  auto pub = std::make_shared<Publisher>();
  auto viewer = std::make_shared<Viewer>();
  pub->id = newRandomId();
  viewer->id = newRandomId();
  pub->streamId = viewer->streamId = pub->id;
  pub->pairedId = viewer->id;
  viewer->pairedId = pub->id;
  pub->workflow = wfName;
  pub->createdAt = viewer->createdAt = unixNow();
  pub->clientAddress = viewer->clientAddress = clientAddress;

  std::shared_ptr<Stream> stream;
  {
    std::lock_guard lock(mu_);
    unsigned live = 0;
    for (const auto& [_, s] : streams_) live += s->hasPublisher() ? 1 : 0;
    if (live >= settings_.maxStreams)
      throw ControlError(ErrorKind::Capacity, "the server already carries " +
                                                  std::to_string(live) + " streams (--max-streams)");
    stream = findOrCreateStreamLocked(pub->streamId);
    stream->reservePublisher();
    stream->reserveViewer(settings_.maxViewers);
  }
  std::string answer;
  std::shared_ptr<PeerConnection> pc;
  try {
    stream->setTargetSize(width, height);
    // The original warms up before answering.
    stream->installWorkflow(prepareWorkflow(
        [wfName, body](NodeContext& ctx) { return GraphWorkflow::build(wfName, *body, ctx); },
        nodeContext(width, height), stream, "the /offer workflow"));
    const auto codec = offer.video() ? offer.video()->videoCodec : VideoCodec::H264;
    if (offer.video()) stream->ensureEncoder(codec);
    pc = std::make_shared<PeerConnection>("offer-" + pub->id.substr(0, 8), settings_.network,
                                          stream->baseTime());
    Stream* s = stream.get();
    viewer->peer = std::make_unique<EgressPeer>(pc, offer, [s, codec] { s->requestKeyframe(codec); },
                                                GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV);
    pub->peer = std::make_unique<IngestPeer>(
        pc, offer,
        IngestPeer::Sinks{[s](GstSample* x) { s->onDecodedVideo(x); },
                          [s](GstSample* x) { s->onIngestAudio(x); }});
    pub->control = std::make_shared<ControlChannel>(stream, controlTasks_, /*mayControl=*/true, nodeContext(),
                                                    controlPreparer());
    pc->onDataChannel([ctl = pub->control](GstWebRTCDataChannel* ch) { ctl->attach(ch); });
    EgressPeer* out = viewer->peer.get();
    const std::string id = pub->id;
    auto alive = std::weak_ptr<bool>(alive_);
    pc->onStateChange([this, id, alive, out](GstWebRTCPeerConnectionState st) {
      spdlog::info("OFFER: Connection state is: {} ({})", stateName(st), id);
      if (st == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED) out->activate();
      if (isDead(st))
        loop_.post([this, id, alive] {
          if (!alive.expired()) removePublisher(id, "connection failed");
        });
    });
    answer = pub->peer->negotiate(offer, settings_.network.publicIp);
  } catch (...) {
    if (pc) loop_.invokeSync([&] { pc->stop(); });
    std::vector<std::shared_ptr<Stream>> retired;
    {
      std::lock_guard lock(mu_);
      stream->releasePublisher();
      stream->releaseViewer();
      dropStreamIfEmptyLocked(stream, retired);
    }
    if (!retired.empty()) loop_.invokeSync([&] { for (auto& r : retired) r->shutdown(); });
    throw;
  }
  {
    std::lock_guard lock(mu_);
    publishers_[pub->id] = pub;
    viewers_[viewer->id] = viewer;
    stream->attachPublisher(pub);
    stream->addViewer(viewer);
  }
  spdlog::info("OFFER: Created session {} (stream {}, workflow {})", pub->id, pub->streamId,
               logSafe(pub->workflow));
  return {pub->id, answer};
}

void StreamRegistry::checkPending(const std::string& clientAddress) const {
  if (clientAddress.empty() || settings_.maxPendingPerAddress == 0) return;
  const auto pending = [&](const auto& session) {
    return session->clientAddress == clientAddress && session->peer &&
           session->peer->connection().state() != GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED;
  };
  unsigned n = 0;
  {
    std::lock_guard lock(mu_);
    for (const auto& [_, p] : publishers_) n += pending(p) ? 1 : 0;
    // An /offer session is a publisher and a viewer on one connection: count it once.
    for (const auto& [_, v] : viewers_) n += pending(v) && v->pairedId.empty() ? 1 : 0;
  }
  if (n >= settings_.maxPendingPerAddress)
    throw ControlError(ErrorKind::TooManyRequests,
                       "this address already has " + std::to_string(n) +
                           " sessions whose media has not connected (--max-pending-per-ip)");
}

std::optional<std::string> StreamRegistry::publisherStream(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = publishers_.find(id);
  return it == publishers_.end() ? std::nullopt : std::optional(it->second->streamId);
}

std::optional<std::string> StreamRegistry::viewerStream(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = viewers_.find(id);
  return it == viewers_.end() ? std::nullopt : std::optional(it->second->streamId);
}

void StreamRegistry::unpublish(const std::string& id) {
  bool found = false;
  loop_.invokeSync([&] { found = removePublisher(id, "DELETE"); });
  if (!found) throw ControlError(ErrorKind::NotFound, "no WHIP session '" + id + "'");
}

void StreamRegistry::unsubscribe(const std::string& id) {
  bool found = false;
  loop_.invokeSync([&] { found = removeViewer(id, "DELETE"); });
  if (!found) throw ControlError(ErrorKind::NotFound, "no WHEP session '" + id + "'");
}

bool StreamRegistry::removePublisher(const std::string& id, const char* reason) {
  std::shared_ptr<Publisher> pub;
  std::vector<std::shared_ptr<Stream>> retired;
  {
    std::lock_guard lock(mu_);
    auto it = publishers_.find(id);
    if (it == publishers_.end()) return false;
    pub = std::move(it->second);
    publishers_.erase(it);
    auto s = streams_.find(pub->streamId);
    if (s != streams_.end()) {
      auto stream = s->second;
      stream->detachPublisher();
      dropStreamIfEmptyLocked(stream, retired);
    }
  }
  pub->peer->connection().stop();
  if (!pub->pairedId.empty()) removeViewer(pub->pairedId, reason);
  for (auto& r : retired) r->shutdown();
  spdlog::info("WHIP: Terminated ingest session {} ({})", id, reason);
  return true;
}

bool StreamRegistry::removeViewer(const std::string& id, const char* reason) {
  std::shared_ptr<Viewer> viewer;
  std::vector<std::shared_ptr<Stream>> retired;
  {
    std::lock_guard lock(mu_);
    auto it = viewers_.find(id);
    if (it == viewers_.end()) return false;
    viewer = std::move(it->second);
    viewers_.erase(it);
    auto s = streams_.find(viewer->streamId);
    if (s != streams_.end()) {
      auto stream = s->second;
      stream->removeViewer(id);
      dropStreamIfEmptyLocked(stream, retired);
    }
  }
  viewer->peer->connection().stop();
  if (!viewer->pairedId.empty()) removePublisher(viewer->pairedId, reason);
  for (auto& r : retired) r->shutdown();
  spdlog::info("WHEP: Terminated subscription session {} ({})", id, reason);
  return true;
}

void StreamRegistry::applyPrompts(const std::string& streamId, const nlohmann::json& prompts) {
  validateStreamId(streamId);
  auto stream = findStream(streamId);
  if (!stream || !stream->hasLivePublisher())
    throw ControlError(ErrorKind::NotFound, "stream '" + logSafe(streamId) + "' has no publisher");
  auto body = std::make_shared<const nlohmann::json>(prompts);
  auto wf = prepareWorkflow(
      [body](NodeContext& ctx) { return GraphWorkflow::build("prompt", *body, ctx); },
      nodeContext(), stream, "the workflow of stream '" + logSafe(streamId) + "'");
  stream->installWorkflow(std::move(wf));
  spdlog::info("stream {}: workflow updated", logSafe(streamId));
}

void StreamRegistry::checkWorkflow(const nlohmann::json& prompts, int width, int height) {
  if (!settings_.limits.allowsImage(width, height))
    throw ControlError(ErrorKind::BadRequest,
                       "the requested size " + settings_.limits.describeImage(width, height));
  auto body = std::make_shared<const nlohmann::json>(prompts);
  warmups_.run<bool>(
      [body, ctx = nodeContext(width, height)](const CancelFlag&) mutable {
        GraphWorkflow::build("check", *body, ctx);
        return true;
      },
      settings_.warmupTimeout, "compiling the job's workflow");
}

ControlChannel::Preparer StreamRegistry::controlPreparer() {
  return [this, alive = std::weak_ptr<bool>(alive_)](const nlohmann::json& prompts,
                                                    const std::shared_ptr<Stream>& stream) {
    if (alive.expired()) throw ControlError(ErrorKind::Capacity, "the server is shutting down");
    auto body = std::make_shared<const nlohmann::json>(prompts);
    return prepareWorkflow(
        [body](NodeContext& ctx) { return GraphWorkflow::build("update_prompts", *body, ctx); },
        nodeContext(), stream, "update_prompts");
  };
}

NodeContext StreamRegistry::nodeContext(int width, int height) {
  NodeContext ctx;
  ctx.models = &models_;
  ctx.width = width;
  ctx.height = height;
  ctx.limits = settings_.limits;
  return ctx;
}

std::shared_ptr<Stream> StreamRegistry::findStream(const std::string& streamId) const {
  std::lock_guard lock(mu_);
  auto it = streams_.find(streamId);
  return it == streams_.end() ? nullptr : it->second;
}

nlohmann::json StreamRegistry::streamsStats() const {
  std::vector<std::shared_ptr<Stream>> all;
  {
    std::lock_guard lock(mu_);
    for (const auto& [_, s] : streams_) all.push_back(s);
  }
  nlohmann::json out = nlohmann::json::object();
  for (const auto& s : all) out[s->id()] = s->statsJson();
  return out;
}

void StreamRegistry::sweep() {
  {
    const double now = unixNow();
    std::lock_guard lock(mu_);
    for (const auto& [_, s] : streams_) s->sampleFps(now);
  }
  const auto cutoff = std::chrono::steady_clock::now() - settings_.silenceTimeout;
  std::vector<std::string> silentPublishers, silentViewers;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, p] : publishers_)
      if (p->peer->connection().lastReceived() < cutoff) silentPublishers.push_back(id);
    for (const auto& [id, v] : viewers_)
      if (v->peer->connection().lastReceived() < cutoff) silentViewers.push_back(id);
  }
  for (const auto& id : silentPublishers) removePublisher(id, "peer went silent");
  for (const auto& id : silentViewers) removeViewer(id, "peer went silent");
}

nlohmann::json StreamRegistry::whipStats() const {
  std::lock_guard lock(mu_);
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [id, p] : publishers_) {
    auto s = streams_.find(p->streamId);
    nlohmann::json j = {
        {"created_at", p->createdAt},
        {"connection_state", stateName(p->peer->connection().state())},
        {"has_video", p->peer->videoCodec().has_value()},
        {"has_audio", p->peer->hasAudio()},
        {"stream_id", p->streamId},
        {"workflow", p->workflow},
        {"video_codec", p->peer->videoCodec() ? std::string(toString(*p->peer->videoCodec()))
                                              : std::string()},
        {"frames_received", p->peer->framesDecoded()},
    };
    if (s != streams_.end()) {
      StreamPipeline& pl = s->second->pipeline();
      j["frames_processed"] = pl.framesProcessed();
      j["frames_dropped"] = pl.framesDropped();
      j["width"] = pl.width();
      j["height"] = pl.height();
      j["process_us"] = pl.lastProcessUs();
      const auto lat = s->second->latency();
      j["server_latency_ms"] = {{"p50", lat.p50Ms}, {"p95", lat.p95Ms}, {"samples", lat.samples}};
    }
    out[id] = std::move(j);
  }
  return out;
}

nlohmann::json StreamRegistry::whepStats() const {
  std::lock_guard lock(mu_);
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [id, v] : viewers_) {
    out[id] = {
        {"created_at", v->createdAt},
        {"connection_state", stateName(v->peer->connection().state())},
        {"has_video", v->peer->videoCodec().has_value()},
        {"has_audio", v->peer->hasAudio()},
        {"stream_id", v->streamId},
        {"video_codec", v->peer->videoCodec() ? std::string(toString(*v->peer->videoCodec()))
                                              : std::string()},
        {"frames_sent", v->peer->framesSent()},
        {"frames_dropped", v->peer->framesDropped()},
    };
  }
  return out;
}

namespace {
ConnectionState stateOf(GstWebRTCPeerConnectionState s) {
  switch (s) {
    case GST_WEBRTC_PEER_CONNECTION_STATE_NEW: return ConnectionState::New;
    case GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTING: return ConnectionState::Connecting;
    case GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED: return ConnectionState::Connected;
    case GST_WEBRTC_PEER_CONNECTION_STATE_DISCONNECTED: return ConnectionState::Disconnected;
    case GST_WEBRTC_PEER_CONNECTION_STATE_FAILED: return ConnectionState::Failed;
    case GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED: return ConnectionState::Closed;
  }
  return ConnectionState::Failed;
}
}  // namespace

std::optional<PublisherStats> StreamRegistry::publisherStats(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = publishers_.find(id);
  if (it == publishers_.end()) return std::nullopt;
  const Publisher& p = *it->second;
  PublisherStats st;
  st.info = {p.id, p.streamId, p.createdAt, p.clientAddress, p.pairedId};
  st.state = stateOf(p.peer->connection().state());
  st.workflow = p.workflow;
  st.videoCodec = p.peer->videoCodec();
  st.hasAudio = p.peer->hasAudio();
  st.framesReceived = p.peer->framesDecoded();
  return st;
}

std::optional<ViewerStats> StreamRegistry::viewerStats(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = viewers_.find(id);
  if (it == viewers_.end()) return std::nullopt;
  const Viewer& v = *it->second;
  ViewerStats st;
  st.info = {v.id, v.streamId, v.createdAt, v.clientAddress, v.pairedId};
  st.state = stateOf(v.peer->connection().state());
  st.videoCodec = v.peer->videoCodec();
  st.hasAudio = v.peer->hasAudio();
  st.framesSent = v.peer->framesSent();
  st.framesDropped = v.peer->framesDropped();
  return st;
}

void StreamRegistry::shutdown() {
  if (!alive_) return;
  *alive_ = false;
  loop_.invokeSync([&] {
    std::vector<std::string> pubs, views;
    {
      std::lock_guard lock(mu_);
      for (const auto& [id, _] : publishers_) pubs.push_back(id);
      for (const auto& [id, _] : viewers_) views.push_back(id);
    }
    for (const auto& id : views) removeViewer(id, "shutdown");
    for (const auto& id : pubs) removePublisher(id, "shutdown");
    std::lock_guard lock(mu_);
    for (auto& [_, s] : streams_) s->shutdown();
    streams_.clear();
  });
  alive_.reset();
}

}  // namespace cs
