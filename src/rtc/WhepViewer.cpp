#include "rtc/WhepViewer.h"

#include <spdlog/spdlog.h>

namespace cs {

WhepViewer::WhepViewer(SessionInfo info, const std::shared_ptr<Stream>& stream,
                       const WebRtcContext& ctx)
    : Viewer(std::move(info)),
      control_(std::make_shared<ControlChannel>(stream, ctx.controlTasks, /*mayControl=*/false,
                                                ctx.workflows)) {}

WhepViewer::WhepViewer(SessionInfo info, std::shared_ptr<PeerConnection> pc,
                       const std::shared_ptr<Stream>& stream, const SdpOffer& offer,
                       const WebRtcContext& ctx)
    : WhepViewer(std::move(info), stream, ctx) {
  peer_ = std::make_unique<EgressPeer>(std::move(pc), offer, *stream,
                                       GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV);
}

WhepViewer::~WhepViewer() = default;

std::shared_ptr<WhepViewer> WhepViewer::negotiate(SessionInfo info,
                                                  const std::shared_ptr<Stream>& stream,
                                                  const SdpOffer& offer, const WebRtcContext& ctx,
                                                  std::string& answer) {
  // The encoder first: a viewer of a codec nobody can encode is refused before negotiating.
  if (const MediaChoice* v = offer.video()) stream->ensureEncoder(v->videoCodec);
  std::shared_ptr<WhepViewer> self(new WhepViewer(std::move(info), stream, ctx));
  self->peer_ = std::make_unique<EgressPeer>("whep-" + self->id().substr(0, 8), ctx.network,
                                             stream->baseTime(), offer, *stream);
  PeerConnection& pc = self->peer_->connection();
  pc.onDataChannel([ctl = self->control_](GstWebRTCDataChannel* ch) { ctl->attach(ch); });
  // The peer is stopped before this object goes (stop(), or the peer's destructor).
  pc.onStateChange([v = self.get()](GstWebRTCPeerConnectionState st) { v->onConnectionState(st); });
  answer = self->peer_->negotiate(offer, ctx.network.publicIp);
  return self;
}

void WhepViewer::onConnectionState(GstWebRTCPeerConnectionState st) {
  spdlog::info("WHEP: Connection state is: {} ({})", toString(connectionStateOf(st)), id());
  // webrtcbin blocks its sinks until DTLS is up (docs/GSTREAMER-NOTES.md): start forwarding then.
  if (st == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED) peer_->activate();
  if (isDead(st)) ended("connection failed");
}

ConnectionState WhepViewer::state() const {
  return connectionStateOf(peer_->connection().state());
}

std::chrono::steady_clock::time_point WhepViewer::lastActivity() const {
  return peer_->connection().lastReceived();
}

void WhepViewer::stop() {
  peer_->connection().stop();
}

ViewerStats WhepViewer::stats() const {
  ViewerStats st;
  st.info = info();
  st.state = state();
  st.videoCodec = peer_->videoCodec();
  st.hasAudio = peer_->hasAudio();
  st.framesSent = peer_->framesSent();
  st.framesDropped = peer_->framesDropped();
  st.kind = ViewerKind::Whep;
  st.bytesSent = peer_->connection().bytesSent();
  st.bytesReceived = peer_->connection().bytesReceived();
  return st;
}

}  // namespace cs
