#pragma once
// A WHIP publisher: RTP in, decoded I420 frames and Opus packets out (the transport side of the
// narrow "RTP in, frames out" interface).
#include <gst/app/gstappsink.h>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>

#include "media/VideoCodec.h"
#include "rtc/PeerConnection.h"
#include "rtc/SdpOffer.h"
#include "stream/Publisher.h"

namespace cs {

class IngestPeer {
 public:
  // `listener` (the stream) receives decoded I420 video and Opus audio, on GStreamer streaming
  // threads; it outlives the peer.
  IngestPeer(const std::string& name, const MediaNetwork& net, GstClockTime baseTime,
             const SdpOffer& offer, Publisher::Listener& listener);
  // On a connection that also sends (the original's sendrecv /offer): the EgressPeer sharing it
  // has created the transceivers, so none are added here.
  IngestPeer(std::shared_ptr<PeerConnection> pc, const SdpOffer& offer,
             Publisher::Listener& listener);

  // Returns the SDP answer; throws ControlError.
  std::string negotiate(const SdpOffer& offer, const std::string& publicIp);

  PeerConnection& connection() { return *pc_; }
  std::optional<VideoCodec> videoCodec() const { return videoCodec_; }
  bool hasAudio() const { return hasAudio_; }
  uint64_t framesDecoded() const { return framesDecoded_.load(std::memory_order_relaxed); }

 private:
  static void onPadAdded(GstElement*, GstPad* pad, gpointer self);
  static GstFlowReturn onVideoSample(GstAppSink*, gpointer self);
  static GstFlowReturn onAudioSample(GstAppSink*, gpointer self);
  void linkDecoder(GstPad* pad);

  std::shared_ptr<PeerConnection> pc_;
  Publisher::Listener& listener_;
  std::optional<VideoCodec> videoCodec_;
  bool hasAudio_ = false;
  std::atomic<uint64_t> framesDecoded_{0};
};

}  // namespace cs
