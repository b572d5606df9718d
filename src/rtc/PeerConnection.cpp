#include "rtc/PeerConnection.h"

#include <spdlog/spdlog.h>

#include <memory>

#include "media/PipelineLaunch.h"
#include "util/ControlError.h"

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

}  // namespace

PeerConnection::PeerConnection(const std::string& name, const MediaNetwork& net,
                               GstClockTime baseTime)
    : name_(name), lastRxNs_(steadyNowNs()) {
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
  SessionDescriptionPtr remote(
      gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_OFFER, offer.release()));
  if (GstStructure* r =
          runPromise("set-remote-description", remote.get(), deadline, "set-remote-description"))
    gst_structure_free(r);

  GstStructure* reply = runPromise("create-answer", nullptr, deadline, "create-answer");
  GstWebRTCSessionDescription* ans = nullptr;
  if (reply) gst_structure_get(reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &ans, nullptr);
  if (reply) gst_structure_free(reply);
  if (!ans) throw ControlError(ErrorKind::Unprocessable, "webrtcbin produced no answer");
  SessionDescriptionPtr local(ans);
  if (GstStructure* r =
          runPromise("set-local-description", local.get(), deadline, "set-local-description"))
    gst_structure_free(r);

  {
    std::unique_lock lock(gatherMu_);
    if (!gatherCv_.wait_until(lock, deadline, [&] { return gatherComplete_; }))
      throw ControlError(ErrorKind::Internal, "timed out gathering ICE candidates");
  }
  GstWebRTCSessionDescription* current = nullptr;
  g_object_get(webrtc_, "local-description", &current, nullptr);
  if (!current) throw ControlError(ErrorKind::Internal, "no local description");
  SessionDescriptionPtr cur(current);
  GCharPtr text(gst_sdp_message_as_text(cur->sdp));
  return text.get();
}

std::string PeerConnection::offer(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  GstStructure* reply = runPromise("create-offer", nullptr, deadline, "create-offer");
  GstWebRTCSessionDescription* off = nullptr;
  if (reply) gst_structure_get(reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &off, nullptr);
  if (reply) gst_structure_free(reply);
  if (!off) throw ControlError(ErrorKind::Internal, "webrtcbin produced no offer");
  SessionDescriptionPtr local(off);
  if (GstStructure* r =
          runPromise("set-local-description", local.get(), deadline, "set-local-description"))
    gst_structure_free(r);
  return localDescriptionWhenGathered(deadline);
}

void PeerConnection::acceptAnswer(SdpMessagePtr answer, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  SessionDescriptionPtr remote(
      gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, answer.release()));
  if (GstStructure* r =
          runPromise("set-remote-description", remote.get(), deadline, "set-remote-description"))
    gst_structure_free(r);
}

std::string PeerConnection::localDescriptionWhenGathered(
    std::chrono::steady_clock::time_point deadline) {
  {
    std::unique_lock lock(gatherMu_);
    if (!gatherCv_.wait_until(lock, deadline, [&] { return gatherComplete_; }))
      throw ControlError(ErrorKind::Internal, "timed out gathering ICE candidates");
  }
  GstWebRTCSessionDescription* current = nullptr;
  g_object_get(webrtc_, "local-description", &current, nullptr);
  if (!current) throw ControlError(ErrorKind::Internal, "no local description");
  SessionDescriptionPtr cur(current);
  GCharPtr text(gst_sdp_message_as_text(cur->sdp));
  return text.get();
}

void PeerConnection::stop() {
  if (stopped_) return;
  stopped_ = true;
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
  if (!f || g_strcmp0(GST_OBJECT_NAME(f), "nicesrc") != 0) return;
  GstPtr<GstPad> src(gst_element_get_static_pad(element, "src"));
  if (src)
    gst_pad_add_probe(src.get(),
                      GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                      onTransportData, &static_cast<PeerConnection*>(data)->lastRxNs_, nullptr);
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

}  // namespace cs
