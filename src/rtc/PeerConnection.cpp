#include "rtc/PeerConnection.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>

#include "media/PipelineLaunch.h"
#include "rtc/SdpOffer.h"
#include "util/ControlError.h"
#include "util/EntityTag.h"
#include "util/RandomId.h"

namespace cs {
namespace {

int64_t steadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// gst_promise_wait() has no timeout; a change callback lets the HTTP thread give up.
struct PromiseWaiter {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
};

void promiseChanged(GstPromise*, gpointer data) {
  auto* w = static_cast<std::shared_ptr<PromiseWaiter>*>(data);
  std::lock_guard lock((*w)->mu);
  (*w)->done = true;
  (*w)->cv.notify_all();
}

void deleteWaiter(gpointer data) {
  delete static_cast<std::shared_ptr<PromiseWaiter>*>(data);
}

std::string attributeOf(const GstSDPMessage* msg, const GstSDPMedia* m, const char* key) {
  const gchar* v = m ? gst_sdp_media_get_attribute_val(m, key) : nullptr;
  if (!v) v = gst_sdp_message_get_attribute_val(msg, key);
  return v ? v : "";
}

// Replaces every `key` attribute (session and media level) with `value`.
void replaceAttribute(GstSDPMessage* msg, const char* key, const std::string& value) {
  GstSDPAttribute a;
  for (guint i = 0; i < gst_sdp_message_attributes_len(msg); ++i) {
    if (g_strcmp0(gst_sdp_message_get_attribute(msg, i)->key, key) != 0) continue;
    gst_sdp_attribute_set(&a, key, value.c_str());
    gst_sdp_message_replace_attribute(msg, i, &a);
  }
  for (guint k = 0; k < gst_sdp_message_medias_len(msg); ++k) {
    auto* m = const_cast<GstSDPMedia*>(gst_sdp_message_get_media(msg, k));
    for (guint i = 0; i < gst_sdp_media_attributes_len(m); ++i) {
      if (g_strcmp0(gst_sdp_media_get_attribute(m, i)->key, key) != 0) continue;
      gst_sdp_attribute_set(&a, key, value.c_str());
      gst_sdp_media_replace_attribute(m, i, &a);
    }
  }
}

void removeAttributes(GstSDPMedia* m, const char* key) {
  for (guint i = gst_sdp_media_attributes_len(m); i-- > 0;)
    if (g_strcmp0(gst_sdp_media_get_attribute(m, i)->key, key) == 0)
      gst_sdp_media_remove_attribute(m, i);
}

SdpMessagePtr copyOf(const GstSDPMessage* msg) {
  GstSDPMessage* copy = nullptr;
  gst_sdp_message_copy(msg, &copy);
  return SdpMessagePtr(copy);
}

}  // namespace

PeerConnection::PeerConnection(const std::string& name, const MediaNetwork& net,
                               GstClockTime baseTime)
    : name_(name), lastRxNs_(steadyNowNs()), publicIp_(net.publicIp), etag_(newStrongEtag()) {
  pipeline_ = adoptElement(gst_pipeline_new(name.c_str()));
  webrtc_ = gst_element_factory_make("webrtcbin", "webrtc");
  if (!webrtc_) throw ControlError(ErrorKind::Internal, "webrtcbin is not installed");
  g_object_set(webrtc_, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, "latency", 50,
               nullptr);
  gst_bin_add(GST_BIN(pipeline_.get()), webrtc_);
  configureIceAgent(webrtc_, net);

  useStreamClock(pipeline_.get(), baseTime);

  GstPtr<GstBus> bus(gst_element_get_bus(pipeline_.get()));
  gst_bus_set_sync_handler(bus.get(), onBusMessage, this, nullptr);
  g_signal_connect(webrtc_, "notify::connection-state", G_CALLBACK(onConnectionState), this);
  g_signal_connect(webrtc_, "notify::ice-gathering-state", G_CALLBACK(onGatheringState), this);
  g_signal_connect(webrtc_, "on-data-channel", G_CALLBACK(onNewDataChannel), this);
  g_signal_connect(pipeline_.get(), "deep-element-added", G_CALLBACK(onDeepElementAdded), this);
}

PeerConnection::~PeerConnection() {
  if (!stopped_) {
    // Owners stop on the main loop first; this is the last-resort path (e.g. a failed POST).
    stop();
  }
}

void PeerConnection::play() {
  if (gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    throw ControlError(ErrorKind::Internal, "cannot start the WebRTC pipeline");
}

GstStructure* PeerConnection::runPromise(const char* signal, GstWebRTCSessionDescription* desc,
                                         std::chrono::steady_clock::time_point deadline,
                                         const char* what) {
  auto waiter = std::make_shared<PromiseWaiter>();
  PromisePtr promise(gst_promise_new_with_change_func(
      promiseChanged, new std::shared_ptr<PromiseWaiter>(waiter), deleteWaiter));
  if (desc)
    g_signal_emit_by_name(webrtc_, signal, desc, promise.get());
  else
    g_signal_emit_by_name(webrtc_, signal, nullptr, promise.get());
  std::unique_lock lock(waiter->mu);
  if (!waiter->cv.wait_until(lock, deadline, [&] { return waiter->done; })) {
    lock.unlock();
    gst_promise_interrupt(promise.get());
    throw ControlError(ErrorKind::Internal, std::string("timed out in ") + what);
  }
  lock.unlock();
  if (gst_promise_wait(promise.get()) != GST_PROMISE_RESULT_REPLIED) return nullptr;
  const GstStructure* reply = gst_promise_get_reply(promise.get());
  if (reply && gst_structure_has_field(reply, "error")) {
    GError* err = nullptr;
    gst_structure_get(reply, "error", G_TYPE_ERROR, &err, nullptr);
    GErrorPtr e(err);
    // The offer passed our checks but webrtcbin cannot answer it: the client's SDP is at fault.
    throw ControlError(ErrorKind::Unprocessable,
                       std::string(what) + " failed: " + (e ? e->message : "unknown error"));
  }
  return reply ? gst_structure_copy(reply) : nullptr;
}

std::string PeerConnection::answer(SdpMessagePtr offer, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  SdpMessagePtr kept = copyOf(offer.get());
  setRemote(GST_WEBRTC_SDP_TYPE_OFFER, std::move(offer), deadline, "set-remote-description");
  // The offer passed our checks but webrtcbin cannot answer it: the client's SDP is at fault.
  SessionDescriptionPtr local =
      create("create-answer", "answer", deadline, ErrorKind::Unprocessable);
  setLocal(local.get(), deadline, "set-local-description");
  SessionDescriptionPtr cur = gatheredLocalDescription(deadline);
  {
    std::lock_guard lock(iceMu_);
    rememberIceSession(std::move(kept), cur->sdp);
  }
  GCharPtr text(gst_sdp_message_as_text(cur->sdp));
  return text.get();
}

std::string PeerConnection::offer(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  SessionDescriptionPtr local = create("create-offer", "offer", deadline, ErrorKind::Internal);
  setLocal(local.get(), deadline, "set-local-description");
  GCharPtr text(gst_sdp_message_as_text(gatheredLocalDescription(deadline)->sdp));
  return text.get();
}

void PeerConnection::acceptAnswer(SdpMessagePtr answer, std::chrono::milliseconds timeout) {
  setRemote(GST_WEBRTC_SDP_TYPE_ANSWER, std::move(answer),
            std::chrono::steady_clock::now() + timeout, "set-remote-description");
}

void PeerConnection::setRemote(GstWebRTCSDPType type, SdpMessagePtr sdp,
                               std::chrono::steady_clock::time_point deadline, const char* what) {
  SessionDescriptionPtr remote(gst_webrtc_session_description_new(type, sdp.release()));
  if (GstStructure* r = runPromise("set-remote-description", remote.get(), deadline, what))
    gst_structure_free(r);
}

SessionDescriptionPtr PeerConnection::create(const char* signal, const char* field,
                                             std::chrono::steady_clock::time_point deadline,
                                             ErrorKind missing) {
  GstStructure* reply = runPromise(signal, nullptr, deadline, signal);
  GstWebRTCSessionDescription* desc = nullptr;
  if (reply) gst_structure_get(reply, field, GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, nullptr);
  if (reply) gst_structure_free(reply);
  if (!desc) throw ControlError(missing, std::string("webrtcbin produced no ") + field);
  return SessionDescriptionPtr(desc);
}

void PeerConnection::setLocal(GstWebRTCSessionDescription* desc,
                              std::chrono::steady_clock::time_point deadline, const char* what) {
  if (GstStructure* r = runPromise("set-local-description", desc, deadline, what))
    gst_structure_free(r);
}

SessionDescriptionPtr PeerConnection::gatheredLocalDescription(
    std::chrono::steady_clock::time_point deadline) {
  {
    std::unique_lock lock(gatherMu_);
    if (!gatherCv_.wait_until(lock, deadline, [&] { return gatherComplete_; }))
      throw ControlError(ErrorKind::Internal, "timed out gathering ICE candidates");
  }
  GstWebRTCSessionDescription* current = nullptr;
  g_object_get(webrtc_, "local-description", &current, nullptr);
  if (!current) throw ControlError(ErrorKind::Internal, "no local description");
  return SessionDescriptionPtr(current);
}

void PeerConnection::stop() {
  if (stopped_.exchange(true)) return;
  g_signal_handlers_disconnect_by_data(webrtc_, this);
  g_signal_handlers_disconnect_by_data(pipeline_.get(), this);
  gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
  GstPtr<GstBus> bus(gst_element_get_bus(pipeline_.get()));
  gst_bus_set_sync_handler(bus.get(), nullptr, nullptr, nullptr);
}

std::chrono::steady_clock::time_point PeerConnection::lastReceived() const {
  return std::chrono::steady_clock::time_point(
      std::chrono::nanoseconds(lastRxNs_.load(std::memory_order_relaxed)));
}

void PeerConnection::onConnectionState(GstElement* webrtc, GParamSpec*, gpointer data) {
  auto* self = static_cast<PeerConnection*>(data);
  GstWebRTCPeerConnectionState s;
  g_object_get(webrtc, "connection-state", &s, nullptr);
  self->state_.store(s, std::memory_order_relaxed);
  if (self->stateCb_) self->stateCb_(s);
}

void PeerConnection::onGatheringState(GstElement* webrtc, GParamSpec*, gpointer data) {
  auto* self = static_cast<PeerConnection*>(data);
  GstWebRTCICEGatheringState s;
  g_object_get(webrtc, "ice-gathering-state", &s, nullptr);
  if (s != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE) return;
  std::lock_guard lock(self->gatherMu_);
  self->gatherComplete_ = true;
  self->gatherCv_.notify_all();
}

void PeerConnection::onNewDataChannel(GstElement*, GstWebRTCDataChannel* ch, gpointer data) {
  auto* self = static_cast<PeerConnection*>(data);
  if (self->dataChannelCb_) self->dataChannelCb_(ch);
}

void PeerConnection::onDeepElementAdded(GstBin*, GstBin*, GstElement* element, gpointer data) {
  GstElementFactory* f = gst_element_get_factory(element);
  constexpr auto kBuffers =
      GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST);
  if (f && g_strcmp0(GST_OBJECT_NAME(f), "nicesink") == 0) {
    GstPtr<GstPad> sink(gst_element_get_static_pad(element, "sink"));
    if (sink)
      gst_pad_add_probe(sink.get(), kBuffers, countBytes,
                        &static_cast<PeerConnection*>(data)->bytesTx_, nullptr);
    return;
  }
  if (!f || g_strcmp0(GST_OBJECT_NAME(f), "nicesrc") != 0) return;
  GstPtr<GstPad> src(gst_element_get_static_pad(element, "src"));
  if (src)
    gst_pad_add_probe(src.get(),
                      GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                      onTransportData, &static_cast<PeerConnection*>(data)->lastRxNs_, nullptr);
  if (src)
    gst_pad_add_probe(src.get(), kBuffers, countBytes,
                      &static_cast<PeerConnection*>(data)->bytesRx_, nullptr);
}

GstPadProbeReturn PeerConnection::countBytes(GstPad*, GstPadProbeInfo* info, gpointer counter) {
  gsize n = 0;
  if (GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    n = gst_buffer_list_calculate_size(GST_PAD_PROBE_INFO_BUFFER_LIST(info));
  else if (GstBuffer* b = GST_PAD_PROBE_INFO_BUFFER(info))
    n = gst_buffer_get_size(b);
  static_cast<std::atomic<uint64_t>*>(counter)->fetch_add(n, std::memory_order_relaxed);
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn PeerConnection::onTransportData(GstPad*, GstPadProbeInfo*, gpointer lastRx) {
  static_cast<std::atomic<int64_t>*>(lastRx)->store(steadyNowNs(), std::memory_order_relaxed);
  return GST_PAD_PROBE_OK;
}

GstBusSyncReply PeerConnection::onBusMessage(GstBus*, GstMessage* msg, gpointer data) {
  auto* self = static_cast<PeerConnection*>(data);
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    GError* err = nullptr;
    gchar* dbg = nullptr;
    gst_message_parse_error(msg, &err, &dbg);
    GErrorPtr e(err);
    GCharPtr d(dbg);
    const std::string text = e ? e->message : "unknown";
    spdlog::warn("{}: pipeline error from {}: {} ({})", self->name_, GST_OBJECT_NAME(msg->src),
                 text, d ? d.get() : "");
    if (self->errorCb_) self->errorCb_(text);
  }
  // Nobody pops this bus: handle what matters here and drop everything so nothing piles up.
  // A sync handler that drops a message owns it (GstBusSyncHandler contract); each message holds
  // a reference to its source, so skipping this unref would keep every pipeline alive.
  gst_message_unref(msg);
  return GST_BUS_DROP;
}

// ---- Trickle ICE and ICE restart (RFC 9725 §4.3, WHEP §4.5) ----

void PeerConnection::rememberIceSession(SdpMessagePtr offer, const GstSDPMessage* answer) {
  mids_.clear();
  for (guint i = 0; i < gst_sdp_message_medias_len(offer.get()); ++i) {
    const gchar* mid =
        gst_sdp_media_get_attribute_val(gst_sdp_message_get_media(offer.get(), i), "mid");
    mids_.push_back(mid ? mid : "");
  }
  // webrtcbin keeps one ICE stream per BUNDLE group, under the tag's m-line index, and finds
  // remote candidates by that index only (a candidate filed under another m-line of the group is
  // parked for ever), so every candidate goes there.
  bundleIndex_ = 0;
  if (const gchar* group = gst_sdp_message_get_attribute_val(offer.get(), "group");
      group && g_str_has_prefix(group, "BUNDLE ")) {
    std::string tag = group + 7;
    tag = tag.substr(0, tag.find(' '));
    if (auto it = std::find(mids_.begin(), mids_.end(), tag); it != mids_.end())
      bundleIndex_ = static_cast<unsigned>(it - mids_.begin());
  }
  const GstSDPMedia* tag = bundleIndex_ < gst_sdp_message_medias_len(offer.get())
                               ? gst_sdp_message_get_media(offer.get(), bundleIndex_)
                               : nullptr;
  remoteUfrag_ = attributeOf(offer.get(), tag, "ice-ufrag");
  remotePwd_ = attributeOf(offer.get(), tag, "ice-pwd");
  bundleKind_ = tag && tag->media ? tag->media : "";
  remoteOffer_ = std::move(offer);

  localCandidates_.clear();
  if (bundleIndex_ < gst_sdp_message_medias_len(answer)) {
    const GstSDPMedia* m = gst_sdp_message_get_media(answer, bundleIndex_);
    for (guint i = 0;; ++i) {
      const gchar* c = gst_sdp_media_get_attribute_val_n(m, "candidate", i);
      if (!c) break;
      localCandidates_.push_back(std::string("candidate:") + c);
    }
  }
  iceOptions_.clear();
  if (const gchar* o = gst_sdp_message_get_attribute_val(answer, "ice-options")) {
    std::string opts = o;
    for (size_t p = 0; p < opts.size();) {
      const auto sp = opts.find(' ', p);
      const std::string t = opts.substr(p, sp == std::string::npos ? sp : sp - p);
      if (!t.empty()) iceOptions_.push_back(t);
      if (sp == std::string::npos) break;
      p = sp + 1;
    }
  }
}

std::string PeerConnection::iceEtag() const {
  std::lock_guard lock(iceMu_);
  return etag_;
}

unsigned PeerConnection::mlineForMid(const std::string& mid) const {
  if (mid.empty()) return bundleIndex_;
  const auto it = std::find(mids_.begin(), mids_.end(), mid);
  if (it == mids_.end())
    throw ControlError(ErrorKind::BadRequest,
                       "malformed ICE fragment: the session has no m-line with a=mid:" + mid);
  // max-bundle: every m-line is in the one group (RFC 9725 §4.4.1).
  return bundleIndex_;
}

PeerConnection::IcePatchResult PeerConnection::patchIce(const IceFragment& frag,
                                                        const IcePrecondition& check,
                                                        std::chrono::milliseconds timeout) {
  std::lock_guard lock(iceMu_);
  if (stopped_.load()) throw ControlError(ErrorKind::NotFound, "the session has ended");
  if (!remoteOffer_) throw ControlError(ErrorKind::Conflict, "the session is not negotiated yet");
  if (check) check(etag_);
  for (const auto& m : frag.media) (void)mlineForMid(m.mid);  // an unknown mid: 400, nothing done

  const auto ufrag = frag.effectiveUfrag();
  const auto pwd = frag.effectivePwd();
  // RFC 9725 §4.3.3: new credentials are an ICE restart (not RFC 8840's "discard").
  const bool restart = ufrag && (*ufrag != remoteUfrag_ || (pwd && *pwd != remotePwd_));
  if (restart &&
      std::find(retiredUfrags_.begin(), retiredUfrags_.end(), *ufrag) != retiredUfrags_.end()) {
    // A trickle for an ICE session this one replaced, overtaken by the restart (only reachable
    // without If-Match, i.e. --ice-if-match lenient): RFC 8840 §4.4 discards it.
    spdlog::debug("{}: dropped a trickle for an earlier ICE session", name_);
    return {};
  }
  if (restart) {
    if (!pwd)
      throw ControlError(
          ErrorKind::BadRequest,
          "malformed ICE fragment: an ICE restart (new a=ice-ufrag) needs a=ice-pwd");
    return restartIce(frag, *ufrag, *pwd, timeout);
  }
  // Trickle (RFC 9725 §4.3.2): webrtcbin hands each candidate to libnice, which starts checks.
  unsigned added = 0;
  for (const auto& m : frag.media) {
    const unsigned mline = mlineForMid(m.mid);
    for (const auto& c : m.candidates) {
      g_signal_emit_by_name(webrtc_, "add-ice-candidate", mline, c.c_str());
      ++added;
    }
    // An empty candidate is end-of-candidates in 1.22 (nice_agent_peer_candidate_gathering_done).
    if (m.endOfCandidates || frag.endOfCandidates)
      g_signal_emit_by_name(webrtc_, "add-ice-candidate", mline, "");
  }
  if (frag.media.empty() && frag.endOfCandidates)
    g_signal_emit_by_name(webrtc_, "add-ice-candidate", bundleIndex_, "");
  spdlog::debug("{}: trickle ICE: {} candidates added, {} discarded", name_, added, frag.discarded);
  return {};
}

PeerConnection::IcePatchResult PeerConnection::restartIce(const IceFragment& frag,
                                                          const std::string& ufrag,
                                                          const std::string& pwd,
                                                          std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // webrtcbin 1.22 is the answerer here and has no restart of its own: a full re-offer (the last
  // offer with the new credentials and candidates), then a new answer with new local
  // credentials (docs/GSTREAMER-NOTES.md §G17).
  SdpMessagePtr offer = copyOf(remoteOffer_.get());
  {
    const GstSDPOrigin* o = gst_sdp_message_get_origin(offer.get());
    // RFC 8866 §5.2: a changed session description has a higher version.
    const std::string version = o && o->sess_version ? o->sess_version : "0";
    const bool numeric = !version.empty() && version.size() < 19 &&
                         std::all_of(version.begin(), version.end(), ::isdigit);
    const std::string next = numeric ? std::to_string(std::stoull(version) + 1) : version;
    if (o)
      gst_sdp_message_set_origin(offer.get(), o->username ? o->username : "-",
                                 o->sess_id ? o->sess_id : "0", next.c_str(),
                                 o->nettype ? o->nettype : "IN", o->addrtype ? o->addrtype : "IP4",
                                 o->addr ? o->addr : "0.0.0.0");
  }
  replaceAttribute(offer.get(), "ice-ufrag", ufrag);
  replaceAttribute(offer.get(), "ice-pwd", pwd);
  for (guint k = 0; k < gst_sdp_message_medias_len(offer.get()); ++k) {
    auto* m = const_cast<GstSDPMedia*>(gst_sdp_message_get_media(offer.get(), k));
    removeAttributes(m, "candidate");  // RFC 9725 §4.3.3: the previous candidates are replaced
    removeAttributes(m, "end-of-candidates");
  }
  if (bundleIndex_ < gst_sdp_message_medias_len(offer.get())) {
    auto* tag = const_cast<GstSDPMedia*>(gst_sdp_message_get_media(offer.get(), bundleIndex_));
    bool end = frag.endOfCandidates;
    for (const auto& m : frag.media) {
      for (const auto& c : m.candidates)
        gst_sdp_media_add_attribute(tag, "candidate", c.c_str() + 10);  // without "candidate:"
      end = end || m.endOfCandidates;
    }
    if (end) gst_sdp_media_add_attribute(tag, "end-of-candidates", nullptr);
  }
  SdpMessagePtr kept = copyOf(offer.get());

  // New local credentials, 32 characters each (as webrtcbin makes them; RFC 8839 §5.4).
  const std::string localUfrag = newRandomId();
  const std::string localPwd = newRandomId();
  try {
    setRemote(GST_WEBRTC_SDP_TYPE_OFFER, std::move(offer), deadline,
              "set-remote-description (ICE restart)");
    SessionDescriptionPtr local = create("create-answer", "answer", deadline, ErrorKind::Internal);
    // 1.22's create-answer copies the previous answer's credentials ("FIXME: deal with ICE
    // restarts"); an answer to a restart must carry new ones (RFC 8839 §4.4.1.1.2), and
    // set-local-description hands them to libnice.
    replaceAttribute(local->sdp, "ice-ufrag", localUfrag);
    replaceAttribute(local->sdp, "ice-pwd", localPwd);
    setLocal(local.get(), deadline, "set-local-description (ICE restart)");
  } catch (const ControlError& e) {
    // RFC 9725 §4.3.3: the session stays, on its current ICE session.
    throw ControlError(ErrorKind::Internal, std::string("ICE restart failed: ") + e.what());
  }

  retiredUfrags_.push_back(remoteUfrag_);
  if (retiredUfrags_.size() > 8) retiredUfrags_.pop_front();
  remoteUfrag_ = ufrag;
  remotePwd_ = pwd;
  remoteOffer_ = std::move(kept);
  etag_ = newStrongEtag();
  const std::string mid = bundleIndex_ < mids_.size() ? mids_[bundleIndex_] : "";
  std::string fragment = formatIceFragment(localUfrag, localPwd, iceOptions_, /*iceLite=*/false,
                                           bundleKind_, mid, localCandidates_);
  // Behind NAT the host candidates carry the public address, as in the 201's answer.
  if (!publicIp_.empty()) fragment = fixAnswer(fragment, {{}, publicIp_});
  size_t candidates = 0;
  for (const auto& m : frag.media) candidates += m.candidates.size();
  spdlog::info("{}: ICE restarted ({} remote candidates, {} discarded)", name_, candidates,
               frag.discarded);
  return {true, std::move(fragment), etag_};
}

}  // namespace cs
