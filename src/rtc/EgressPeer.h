#pragma once
// A WHEP viewer: encoded frames in, RTP out (the transport side of "encoded frames in, per-peer
// RTP out"). Each viewer has its own small pipeline, fed with the stream's shared encoded
// buffers, so its caps queries, flow errors and DTLS wait never reach the shared encoder
// (docs/GSTREAMER-NOTES.md §G7).
#include <gst/app/gstappsrc.h>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "media/VideoCodec.h"
#include "rtc/PeerConnection.h"
#include "rtc/SdpOffer.h"
#include "stream/Viewer.h"

namespace cs {

class EgressPeer {
 public:
  // `listener` (the stream) is asked for keyframes when the peer connects and when it sends a
  // PLI/FIR; it outlives the peer.
  EgressPeer(const std::string& name, const MediaNetwork& net, GstClockTime baseTime,
             const SdpOffer& offer, Viewer::Listener& listener);
  // sendrecv on a shared connection (the original's /offer): the same transceivers also receive,
  // for an IngestPeer on the same connection.
  EgressPeer(std::shared_ptr<PeerConnection> pc, const SdpOffer& offer, Viewer::Listener& listener,
             GstWebRTCRTPTransceiverDirection direction);
  std::shared_ptr<PeerConnection> sharedConnection() const { return pc_; }
  // The offerer's side (a push to another WHIP server, rtc/WhipPushViewer): sendonly branches for
  // `media`, which the caller chose; the connection then offers them (PeerConnection::offer).
  EgressPeer(const std::string& name, const MediaNetwork& net, GstClockTime baseTime,
             const std::vector<MediaChoice>& media, Viewer::Listener& listener);

  std::string negotiate(const SdpOffer& offer, const std::string& publicIp);

  // Starts forwarding once the peer is connected: before that webrtcbin blocks its sinks
  // (docs/GSTREAMER-NOTES.md §G15).
  void activate();
  // Hot path, called from the encoder's / publisher's streaming thread with a borrowed sample.
  // Never blocks: when the viewer's queue is full the frame is dropped and counted.
  void pushVideo(GstSample* sample) noexcept;
  void pushAudio(GstSample* sample) noexcept;

  PeerConnection& connection() { return *pc_; }
  std::optional<VideoCodec> videoCodec() const { return videoCodec_; }
  bool hasAudio() const { return audioSrc_ != nullptr; }
  uint64_t framesSent() const { return framesSent_.load(std::memory_order_relaxed); }
  uint64_t framesDropped() const { return framesDropped_.load(std::memory_order_relaxed); }

 private:
  void addBranches(const std::vector<MediaChoice>& media);
  GstElement* addBranch(const MediaChoice& m, const char* payloader, GstCaps* rtpCaps);
  static GstPadProbeReturn onUpstreamEvent(GstPad*, GstPadProbeInfo*, gpointer self);

  std::shared_ptr<PeerConnection> pc_;
  Viewer::Listener& listener_;
  void requestKeyframe() noexcept;
  GstWebRTCRTPTransceiverDirection direction_ = GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY;
  std::optional<VideoCodec> videoCodec_;
  GstAppSrc* videoSrc_ = nullptr;  // owned by the pipeline
  GstAppSrc* audioSrc_ = nullptr;
  std::atomic<bool> active_{false};
  std::atomic<bool> needKeyframe_{true};
  std::atomic<uint64_t> framesSent_{0};
  std::atomic<uint64_t> framesDropped_{0};
};

}  // namespace cs
