#pragma once
// A WHEP session (or the sending half of the original's /offer): one of a stream's viewers over
// WebRTC. Its EgressPeer packetises the stream's shared encoded buffers; its ControlChannel
// carries the workflow's text to the viewer.
#include <memory>
#include <string>

#include "rtc/ControlChannel.h"
#include "rtc/EgressPeer.h"
#include "rtc/WebRtcSession.h"
#include "stream/Stream.h"
#include "stream/Viewer.h"

namespace cs {

class WhepViewer final : public Viewer {
 public:
  // Negotiates a viewer of `stream` from a WHEP offer; returns it with its SDP answer in
  // `answer`. Throws ControlError; a failed one leaves nothing running.
  static std::shared_ptr<WhepViewer> negotiate(SessionInfo info,
                                               const std::shared_ptr<Stream>& stream,
                                               const SdpOffer& offer, const WebRtcContext& ctx,
                                               std::string& answer);
  // The sending half of a connection the caller negotiates (the original's sendrecv /offer).
  WhepViewer(SessionInfo info, std::shared_ptr<PeerConnection> pc,
             const std::shared_ptr<Stream>& stream, const SdpOffer& offer,
             const WebRtcContext& ctx);
  ~WhepViewer() override;

  EgressPeer& peer() { return *peer_; }
  // The peer's state changed (webrtcbin thread): media flows once connected; a dead connection
  // ends the session.
  void onConnectionState(GstWebRTCPeerConnectionState st);

  ConnectionState state() const override;
  std::chrono::steady_clock::time_point lastActivity() const override;
  void stop() override;
  std::optional<VideoCodec> videoCodec() const override { return peer_->videoCodec(); }
  bool takesAudio() const override { return peer_->hasAudio(); }
  void onVideo(GstSample* encoded) noexcept override { peer_->pushVideo(encoded); }
  void onAudio(GstSample* opus) noexcept override { peer_->pushAudio(opus); }
  ViewerStats stats() const override;

 private:
  WhepViewer(SessionInfo info, const std::shared_ptr<Stream>& stream, const WebRtcContext& ctx);

  // Declared before the peer, so the peer (whose data channels it serves) is destroyed first.
  std::shared_ptr<ControlChannel> control_;
  std::unique_ptr<EgressPeer> peer_;
};

}  // namespace cs
