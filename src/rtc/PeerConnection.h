#pragma once
// One webrtcbin in its own pipeline, negotiated as the answerer (WHIP and WHEP clients always
// offer). Publishers (IngestPeer) and viewers (EgressPeer) each own one.
#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>

#include "rtc/MediaNetwork.h"
#include "util/GstPtr.h"

namespace cs {

class PeerConnection {
 public:
  // Called on a webrtcbin thread: post to the main loop, never block or tear down from here.
  using StateCallback = std::function<void(GstWebRTCPeerConnectionState)>;
  using ErrorCallback = std::function<void(const std::string&)>;
  // A data channel the client opened; called on a webrtcbin thread.
  using DataChannelCallback = std::function<void(GstWebRTCDataChannel*)>;

  // baseTime: every pipeline of a stream shares the system clock and this base time, so running
  // times (and hence RTP/RTCP timestamps) of audio and video agree across pipelines.
  PeerConnection(const std::string& name, const MediaNetwork& net, GstClockTime baseTime);
  ~PeerConnection();
  PeerConnection(const PeerConnection&) = delete;
  PeerConnection& operator=(const PeerConnection&) = delete;

  GstElement* pipeline() const { return pipeline_.get(); }
  GstElement* webrtcbin() const { return webrtc_; }
  void onStateChange(StateCallback cb) { stateCb_ = std::move(cb); }
  void onError(ErrorCallback cb) { errorCb_ = std::move(cb); }
  void onDataChannel(DataChannelCallback cb) { dataChannelCb_ = std::move(cb); }

  void play();
  // set-remote-description(offer) → create-answer → set-local-description → wait for ICE
  // gathering to complete (the answer must hold every server candidate: RFC 9725 §4.3.2).
  // Returns the answer SDP. Throws ControlError on failure or timeout. HTTP threads only.
  std::string answer(SdpMessagePtr offer, std::chrono::milliseconds timeout);
  // The offerer's side, for a WHIP client (a push to another server): create-offer →
  // set-local-description → wait for ICE gathering to complete (non-trickle: the offer holds
  // every candidate, RFC 9725 §4.3.2). Returns the offer SDP. Then acceptAnswer() with the
  // server's answer. Both throw ControlError on failure or timeout. Not on the main loop.
  std::string offer(std::chrono::milliseconds timeout);
  void acceptAnswer(SdpMessagePtr answer, std::chrono::milliseconds timeout);
  // Stops the pipeline; idempotent. Main loop only (docs/GSTREAMER-NOTES.md §G14).
  void stop();

  GstWebRTCPeerConnectionState state() const {
    return static_cast<GstWebRTCPeerConnectionState>(state_.load(std::memory_order_relaxed));
  }
  // Last datagram from the peer: ICE consent freshness is missing in webrtcbin 1.22
  // (docs/GSTREAMER-NOTES.md §G11), so a peer killed without DELETE is only noticed by silence.
  std::chrono::steady_clock::time_point lastReceived() const;

 private:
  static void onConnectionState(GstElement*, GParamSpec*, gpointer self);
  static void onGatheringState(GstElement*, GParamSpec*, gpointer self);
  static void onNewDataChannel(GstElement*, GstWebRTCDataChannel*, gpointer self);
  static void onDeepElementAdded(GstBin*, GstBin*, GstElement*, gpointer self);
  static GstPadProbeReturn onTransportData(GstPad*, GstPadProbeInfo*, gpointer self);
  static GstBusSyncReply onBusMessage(GstBus*, GstMessage*, gpointer self);
  std::string localDescriptionWhenGathered(std::chrono::steady_clock::time_point deadline);
  GstStructure* runPromise(const char* signal, GstWebRTCSessionDescription* desc,
                           std::chrono::steady_clock::time_point deadline, const char* what);

  const std::string name_;
  ElementPtr pipeline_;
  GstElement* webrtc_ = nullptr;  // owned by pipeline_
  StateCallback stateCb_;
  ErrorCallback errorCb_;
  DataChannelCallback dataChannelCb_;
  std::atomic<int> state_{GST_WEBRTC_PEER_CONNECTION_STATE_NEW};
  std::atomic<int64_t> lastRxNs_;
  std::mutex gatherMu_;
  std::condition_variable gatherCv_;
  bool gatherComplete_ = false;
  bool stopped_ = false;
};

}  // namespace cs
