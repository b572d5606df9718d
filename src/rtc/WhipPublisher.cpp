#include "rtc/WhipPublisher.h"

#include <spdlog/spdlog.h>

namespace cs {

WhipPublisher::WhipPublisher(SessionInfo info, std::string workflow,
                             const std::shared_ptr<Stream>& stream, const WebRtcContext& ctx)
    : Publisher(std::move(info)),
      workflow_(std::move(workflow)),
      control_(std::make_shared<ControlChannel>(stream, ctx.controlTasks, /*mayControl=*/true,
                                                ctx.workflows)) {}

WhipPublisher::WhipPublisher(SessionInfo info, std::string workflow,
                             std::shared_ptr<PeerConnection> pc,
                             const std::shared_ptr<Stream>& stream, const SdpOffer& offer,
                             const WebRtcContext& ctx)
    : WhipPublisher(std::move(info), std::move(workflow), stream, ctx) {
  peer_ = std::make_unique<IngestPeer>(std::move(pc), offer, *stream);
  // The original's data channels are the publisher's: it may control the workflow.
  peer_->connection().onDataChannel(
      [ctl = control_](GstWebRTCDataChannel* ch) { ctl->attach(ch); });
}

WhipPublisher::~WhipPublisher() = default;

std::shared_ptr<WhipPublisher> WhipPublisher::negotiate(SessionInfo info, std::string workflow,
                                                        const std::shared_ptr<Stream>& stream,
                                                        const SdpOffer& offer,
                                                        const WebRtcContext& ctx,
                                                        std::string& answer) {
  std::shared_ptr<WhipPublisher> self(
      new WhipPublisher(std::move(info), std::move(workflow), stream, ctx));
  self->peer_ = std::make_unique<IngestPeer>("whip-" + self->id().substr(0, 8), ctx.network,
                                             stream->baseTime(), offer, *stream);
  PeerConnection& pc = self->peer_->connection();
  pc.onDataChannel([ctl = self->control_](GstWebRTCDataChannel* ch) { ctl->attach(ch); });
  // The peer is stopped before this object goes (stop(), or the peer's destructor).
  pc.onStateChange([p = self.get()](GstWebRTCPeerConnectionState st) { p->onConnectionState(st); });
  // A failure throws here; the peer's destructor then stops its pipeline (not a streaming
  // thread: this is the HTTP worker).
  answer = self->peer_->negotiate(offer, ctx.network.publicIp);
  return self;
}

void WhipPublisher::onConnectionState(GstWebRTCPeerConnectionState st) {
  spdlog::info("WHIP: Connection state is: {} ({})", toString(connectionStateOf(st)), id());
  if (isDead(st)) ended("connection failed");
}

ConnectionState WhipPublisher::state() const {
  return connectionStateOf(peer_->connection().state());
}

std::chrono::steady_clock::time_point WhipPublisher::lastActivity() const {
  return peer_->connection().lastReceived();
}

void WhipPublisher::stop() {
  peer_->connection().stop();
}

PublisherStats WhipPublisher::stats() const {
  PublisherStats st;
  st.info = info();
  st.state = state();
  st.workflow = workflow_;
  st.videoCodec = peer_->videoCodec();
  st.hasAudio = peer_->hasAudio();
  st.framesReceived = peer_->framesDecoded();
  st.bytesSent = peer_->connection().bytesSent();
  st.bytesReceived = peer_->connection().bytesReceived();
  return st;
}

}  // namespace cs
