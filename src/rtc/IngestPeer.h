#pragma once
// A WHIP publisher: RTP in, decoded I420 frames and Opus packets out (the transport side of the
// narrow "RTP in, frames out" interface).
#include <gst/app/gstappsink.h>

#include <atomic>
#include <memory>
#include <functional>
#include <memory>
#include <optional>

#include "media/VideoCodec.h"
#include "rtc/PeerConnection.h"
#include "rtc/SdpOffer.h"

namespace cs {

class IngestPeer {
 public:
  // Called on GStreamer streaming threads with a borrowed sample; must not block.
  struct Sinks {
    std::function<void(GstSample*)> video;  // video/x-raw I420
    std::function<void(GstSample*)> audio;  // audio/x-opus
  };

  IngestPeer(const std::string& name, const MediaNetwork& net, GstClockTime baseTime,
             const SdpOffer& offer, Sinks sinks);
  // On a connection that also sends (the original's sendrecv /offer): the EgressPeer sharing it
  // has created the transceivers, so none are added here.
  IngestPeer(std::shared_ptr<PeerConnection> pc, const SdpOffer& offer, Sinks sinks);

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
  Sinks sinks_;
  std::optional<VideoCodec> videoCodec_;
  bool hasAudio_ = false;
  std::atomic<uint64_t> framesDecoded_{0};
};

}  // namespace cs
