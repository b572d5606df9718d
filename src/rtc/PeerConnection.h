#pragma once
// One webrtcbin in its own pipeline, negotiated as the answerer (WHIP and WHEP clients always
// offer). Publishers (IngestPeer) and viewers (EgressPeer) each own one.
#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "rtc/IceFragment.h"
#include "rtc/MediaNetwork.h"
#include "util/ControlError.h"
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

  // Trickle ICE and ICE restart (RFC 9725 §4.3, WHEP §4.5), once answer() has succeeded.
  // The current ICE session's strong entity-tag (quoted); a restart makes a new one.
  std::string iceEtag() const;
  // Checks a PATCH's If-Match against the current entity-tag; throws ControlError (412/428).
  using IcePrecondition = std::function<void(const std::string& currentEtag)>;
  struct IcePatchResult {
    bool restarted = false;
    std::string fragment;  // a restart's answer: the server's new credentials and candidates
    std::string etag;      // a restart's new entity-tag
  };
  // A fragment with the current remote credentials (or none) hands its candidates to the ICE
  // agent; new credentials restart ICE (docs/GSTREAMER-NOTES.md §G17). One PATCH at a time per
  // connection; `check` runs under that lock, so a restart cannot slip in between the check and
  // the change. Throws ControlError; a restart that fails keeps the current ICE session.
  // HTTP threads only.
  IcePatchResult patchIce(const IceFragment& fragment, const IcePrecondition& check,
                          std::chrono::milliseconds timeout);

  GstWebRTCPeerConnectionState state() const {
    return static_cast<GstWebRTCPeerConnectionState>(state_.load(std::memory_order_relaxed));
  }
  // Last datagram from the peer: ICE consent freshness is missing in webrtcbin 1.22
  // (docs/GSTREAMER-NOTES.md §G11), so a peer killed without DELETE is only noticed by silence.
  std::chrono::steady_clock::time_point lastReceived() const;
  // Bytes through the ICE transport, counted where datagrams leave nicesink and enter from
  // nicesrc: DTLS, SRTP and SRTCP payloads, without STUN (libnice answers it itself) and without
  // IP/UDP headers. One relaxed add per buffer; no webrtcbin stats query.
  uint64_t bytesSent() const { return bytesTx_.load(std::memory_order_relaxed); }
  uint64_t bytesReceived() const { return bytesRx_.load(std::memory_order_relaxed); }

 private:
  static void onConnectionState(GstElement*, GParamSpec*, gpointer self);
  static void onGatheringState(GstElement*, GParamSpec*, gpointer self);
  static void onNewDataChannel(GstElement*, GstWebRTCDataChannel*, gpointer self);
  static void onDeepElementAdded(GstBin*, GstBin*, GstElement*, gpointer self);
  static GstPadProbeReturn onTransportData(GstPad*, GstPadProbeInfo*, gpointer self);
  static GstPadProbeReturn countBytes(GstPad*, GstPadProbeInfo*, gpointer counter);
  static GstBusSyncReply onBusMessage(GstBus*, GstMessage*, gpointer self);
  // The negotiation steps, each a webrtcbin promise under `deadline`; a missing or refused
  // result throws ControlError.
  void setRemote(GstWebRTCSDPType type, SdpMessagePtr sdp,
                 std::chrono::steady_clock::time_point deadline, const char* what);
  SessionDescriptionPtr create(const char* signal, const char* field,
                               std::chrono::steady_clock::time_point deadline, ErrorKind missing);
  void setLocal(GstWebRTCSessionDescription* desc, std::chrono::steady_clock::time_point deadline,
                const char* what);
  // The local description once ICE gathering completed: it holds every candidate.
  SessionDescriptionPtr gatheredLocalDescription(std::chrono::steady_clock::time_point deadline);
  GstStructure* runPromise(const char* signal, GstWebRTCSessionDescription* desc,
                           std::chrono::steady_clock::time_point deadline, const char* what);
  // After a negotiation: what trickle and restart need from its offer and answer (iceMu_ held).
  void rememberIceSession(SdpMessagePtr offer, const GstSDPMessage* answer);
  // The m-line index webrtcbin files candidates for `mid` under: the bundle's (iceMu_ held).
  unsigned mlineForMid(const std::string& mid) const;
  IcePatchResult restartIce(const IceFragment& fragment, const std::string& ufrag,
                            const std::string& pwd, std::chrono::milliseconds timeout);

  const std::string name_;
  ElementPtr pipeline_;
  GstElement* webrtc_ = nullptr;  // owned by pipeline_
  StateCallback stateCb_;
  ErrorCallback errorCb_;
  DataChannelCallback dataChannelCb_;
  std::atomic<int> state_{GST_WEBRTC_PEER_CONNECTION_STATE_NEW};
  std::atomic<int64_t> lastRxNs_;
  std::atomic<uint64_t> bytesTx_{0}, bytesRx_{0};
  std::mutex gatherMu_;
  std::condition_variable gatherCv_;
  bool gatherComplete_ = false;
  std::atomic<bool> stopped_{false};

  // The ICE session (RFC 9725 §4.3): guarded by iceMu_, held for a whole PATCH.
  const std::string publicIp_;  // host candidates in a restart's answer carry it, as in answers
  mutable std::mutex iceMu_;
  SdpMessagePtr remoteOffer_;      // the last offer webrtcbin took; a restart re-offers it
  std::vector<std::string> mids_;  // per m-line of that offer
  unsigned bundleIndex_ = 0;       // the BUNDLE tag's m-line: where webrtcbin keeps the ICE stream
  std::string remoteUfrag_, remotePwd_;
  std::deque<std::string> retiredUfrags_;     // earlier remote ufrags: late trickles are dropped
  std::vector<std::string> localCandidates_;  // gathered once; a restart keeps the sockets
  std::vector<std::string> iceOptions_;
  std::string bundleKind_;  // "audio"/"video": the m= line of a restart's answer
  std::string etag_;
};

}  // namespace cs
