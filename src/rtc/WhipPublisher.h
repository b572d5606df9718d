#pragma once
// A WHIP session (or the receiving half of the original's /offer): a stream's publisher over
// WebRTC. Its IngestPeer decodes RTP and hands frames to the stream; its ControlChannel speaks
// the original's data-channel protocol.
#include <memory>
#include <string>

#include "rtc/ControlChannel.h"
#include "rtc/IngestPeer.h"
#include "rtc/WebRtcSession.h"
#include "stream/Publisher.h"
#include "stream/Stream.h"

namespace cs {

class WhipPublisher final : public Publisher {
 public:
  // Negotiates a publisher for `stream` from a WHIP offer; returns it with its SDP answer in
  // `answer`. Throws ControlError; a failed one leaves nothing running.
  static std::shared_ptr<WhipPublisher> negotiate(SessionInfo info, std::string workflow,
                                                  const std::shared_ptr<Stream>& stream,
                                                  const SdpOffer& offer, const WebRtcContext& ctx,
                                                  std::string& answer);
  // On a connection the caller negotiates (the original's sendrecv /offer).
  WhipPublisher(SessionInfo info, std::string workflow, std::shared_ptr<PeerConnection> pc,
                const std::shared_ptr<Stream>& stream, const SdpOffer& offer,
                const WebRtcContext& ctx);
  ~WhipPublisher() override;

  IngestPeer& peer() { return *peer_; }
  // The peer's state changed (webrtcbin thread): logs, and reports the end of a dead connection.
  void onConnectionState(GstWebRTCPeerConnectionState st);

  ConnectionState state() const override;
  std::chrono::steady_clock::time_point lastActivity() const override;
  void stop() override;
  PublisherStats stats() const override;

 private:
  WhipPublisher(SessionInfo info, std::string workflow, const std::shared_ptr<Stream>& stream,
                const WebRtcContext& ctx);

  const std::string workflow_;
  // Declared before the peer, so the peer (whose data channels it serves) is destroyed first.
  std::shared_ptr<ControlChannel> control_;
  std::unique_ptr<IngestPeer> peer_;
};

}  // namespace cs
