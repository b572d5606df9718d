#include "rtc/EgressPeer.h"

#include <gst/video/video.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include "util/ControlError.h"

namespace cs {
namespace {

constexpr auto kNegotiationTimeout = std::chrono::seconds(5);
// About one second of media: a viewer that falls further behind loses frames, not the others.
constexpr guint64 kMaxQueuedVideo = 30;
constexpr guint64 kMaxQueuedAudio = 50;

guint randomSsrc() {
  guint v = 0;
  RAND_bytes(reinterpret_cast<unsigned char*>(&v), sizeof v);
  return v ? v : 1;
}

}  // namespace

EgressPeer::EgressPeer(const std::string& name, const MediaNetwork& net, GstClockTime baseTime,
                       const SdpOffer& offer, Viewer::Listener& listener)
    : pc_(std::make_shared<PeerConnection>(name, net, baseTime)), listener_(listener) {
  addBranches(offer.media());
}

EgressPeer::EgressPeer(std::shared_ptr<PeerConnection> pc, const SdpOffer& offer,
                       Viewer::Listener& listener, GstWebRTCRTPTransceiverDirection direction)
    : pc_(std::move(pc)), listener_(listener), direction_(direction) {
  addBranches(offer.media());
}

EgressPeer::EgressPeer(const std::string& name, const MediaNetwork& net, GstClockTime baseTime,
                       const std::vector<MediaChoice>& media, Viewer::Listener& listener)
    : pc_(std::make_shared<PeerConnection>(name, net, baseTime)), listener_(listener) {
  addBranches(media);
}

void EgressPeer::addBranches(const std::vector<MediaChoice>& media) {
  for (const auto& m : media) {
    if (m.kind == MediaChoice::Kind::Video) {
      videoCodec_ = m.videoCodec;
      const bool h264 = m.videoCodec == VideoCodec::H264;
      // profile-level-id stays out of these caps: 1.22 matches it as a string against the
      // encoder's and fails negotiation; fixAnswer() writes the offer's value instead
      // (docs/GSTREAMER-NOTES.md §G6).
      CapsPtr caps(gst_caps_new_simple(
          "application/x-rtp", "media", G_TYPE_STRING, "video", "encoding-name", G_TYPE_STRING,
          h264 ? "H264" : "VP8", "payload", G_TYPE_INT, m.payloadType, "clock-rate", G_TYPE_INT,
          90000, "rtcp-fb-nack", G_TYPE_BOOLEAN, TRUE, "rtcp-fb-nack-pli", G_TYPE_BOOLEAN, TRUE,
          "rtcp-fb-ccm-fir", G_TYPE_BOOLEAN, TRUE, nullptr));
      if (h264) gst_caps_set_simple(caps.get(), "packetization-mode", G_TYPE_STRING, "1", nullptr);
      videoSrc_ = GST_APP_SRC(addBranch(m, h264 ? "rtph264pay" : "rtpvp8pay", caps.get()));
      GstPtr<GstPad> srcPad(gst_element_get_static_pad(GST_ELEMENT(videoSrc_), "src"));
      // Viewers' PLI/FIR arrive as upstream force-key-unit events; the stream coalesces them.
      gst_pad_add_probe(srcPad.get(), GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, onUpstreamEvent, this,
                        nullptr);
    } else {
      CapsPtr caps(gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING, "audio",
                                       "encoding-name", G_TYPE_STRING, "OPUS", "payload",
                                       G_TYPE_INT, m.payloadType, "clock-rate", G_TYPE_INT, 48000,
                                       "encoding-params", G_TYPE_STRING, "2", nullptr));
      audioSrc_ = GST_APP_SRC(addBranch(m, "rtpopuspay", caps.get()));
    }
  }
}

GstElement* EgressPeer::addBranch(const MediaChoice& m, const char* payloaderName,
                                  GstCaps* rtpCaps) {
  GstElement* pipeline = pc_->pipeline();
  GstElement* src = gst_element_factory_make("appsrc", nullptr);
  GstElement* pay = gst_element_factory_make(payloaderName, nullptr);
  GstElement* filter = gst_element_factory_make("capsfilter", nullptr);
  if (!src || !pay || !filter) throw ControlError(ErrorKind::Internal, "missing GStreamer plugin");

  // handle-segment-change: samples carry the producer's segment, so running times (and so RTP
  // timestamps and A/V sync) survive the hop between pipelines without rewriting buffers.
  g_object_set(src, "is-live", TRUE, "format", GST_FORMAT_TIME, "do-timestamp", FALSE,
               "handle-segment-change", TRUE, "block", FALSE, "max-bytes", guint64(0),
               "max-buffers",
               m.kind == MediaChoice::Kind::Video ? kMaxQueuedVideo : kMaxQueuedAudio, nullptr);
  gst_app_src_set_leaky_type(GST_APP_SRC(src), GST_APP_LEAKY_TYPE_DOWNSTREAM);

  // A known SSRC in the caps makes webrtcbin write a=ssrc into the answer; werift needs it
  // (docs/GSTREAMER-NOTES.md §G8).
  const guint ssrc = randomSsrc();
  g_object_set(pay, "pt", guint(m.payloadType), "ssrc", ssrc, nullptr);
  if (m.kind == MediaChoice::Kind::Video) {
    if (m.videoCodec == VideoCodec::H264)
      g_object_set(pay, "config-interval", -1, "aggregate-mode", 1 /* zero-latency */, nullptr);
    else
      g_object_set(pay, "picture-id-mode", 2 /* 15-bit */, nullptr);
  }
  CapsPtr caps(gst_caps_copy(rtpCaps));
  gst_caps_set_simple(caps.get(), "ssrc", G_TYPE_UINT, ssrc, nullptr);
  CapsPtr filterCaps(gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING,
                                         m.kind == MediaChoice::Kind::Video ? "video" : "audio",
                                         "payload", G_TYPE_INT, m.payloadType, "ssrc", G_TYPE_UINT,
                                         ssrc, nullptr));
  g_object_set(filter, "caps", filterCaps.get(), nullptr);

  gst_bin_add_many(GST_BIN(pipeline), src, pay, filter, nullptr);
  if (!gst_element_link_many(src, pay, filter, nullptr))
    throw ControlError(ErrorKind::Internal, "cannot link the viewer branch");

  // docs/GSTREAMER-NOTES.md §G2: request the sink pad with caps (this creates the transceiver),
  // then make it sendonly with codec preferences; create-answer then matches it to the offer's
  // m-line.
  GstPadTemplate* templ =
      gst_element_class_get_pad_template(GST_ELEMENT_GET_CLASS(pc_->webrtcbin()), "sink_%u");
  GstPtr<GstPad> sinkPad(gst_element_request_pad(pc_->webrtcbin(), templ, nullptr, caps.get()));
  if (!sinkPad) throw ControlError(ErrorKind::Internal, "webrtcbin refused a sink pad");
  GstPtr<GstPad> filterSrc(gst_element_get_static_pad(filter, "src"));
  if (gst_pad_link(filterSrc.get(), sinkPad.get()) != GST_PAD_LINK_OK)
    throw ControlError(ErrorKind::Internal, "cannot link to webrtcbin");
  GstWebRTCRTPTransceiver* t = nullptr;
  g_object_get(sinkPad.get(), "transceiver", &t, nullptr);
  if (!t) throw ControlError(ErrorKind::Internal, "webrtcbin pad has no transceiver");
  g_object_set(t, "direction", direction_, "codec-preferences", caps.get(), nullptr);
  if (m.kind == MediaChoice::Kind::Video) g_object_set(t, "do-nack", TRUE, nullptr);
  gst_object_unref(t);
  return src;
}

std::string EgressPeer::negotiate(const SdpOffer& offer, const std::string& publicIp) {
  pc_->play();
  const std::string answer = pc_->answer(offer.messageForWebrtc(), kNegotiationTimeout);
  return fixAnswer(answer, {offer.profileLevelIds(), publicIp});
}

void EgressPeer::requestKeyframe() noexcept {
  if (videoCodec_) listener_.onKeyframeRequest(*videoCodec_);
}

void EgressPeer::activate() {
  needKeyframe_.store(true, std::memory_order_relaxed);
  active_.store(true, std::memory_order_release);
  // Its first picture: not subject to the back-off that PLI storms get.
  if (videoSrc_ && videoCodec_) listener_.onNewViewerKeyframeRequest(*videoCodec_);
}

void EgressPeer::pushVideo(GstSample* sample) noexcept {
  if (!videoSrc_ || !active_.load(std::memory_order_acquire)) return;
  GstBuffer* buf = gst_sample_get_buffer(sample);
  const bool keyframe = !GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
  if (needKeyframe_.load(std::memory_order_relaxed)) {
    // A decoder cannot start (or resume after a gap) on a delta frame.
    if (!keyframe) return;
    needKeyframe_.store(false, std::memory_order_relaxed);
  }
  if (gst_app_src_get_current_level_buffers(videoSrc_) >= kMaxQueuedVideo) {
    // The viewer is not draining (slow network, stalled peer): drop and restart on a keyframe.
    framesDropped_.fetch_add(1, std::memory_order_relaxed);
    needKeyframe_.store(true, std::memory_order_relaxed);
    requestKeyframe();
    return;
  }
  gst_app_src_push_sample(videoSrc_, sample);
  framesSent_.fetch_add(1, std::memory_order_relaxed);
}

void EgressPeer::pushAudio(GstSample* sample) noexcept {
  if (!audioSrc_ || !active_.load(std::memory_order_acquire)) return;
  // Leaky appsrc: a stalled viewer loses its oldest audio, never blocks the publisher.
  gst_app_src_push_sample(audioSrc_, sample);
}

GstPadProbeReturn EgressPeer::onUpstreamEvent(GstPad*, GstPadProbeInfo* info, gpointer data) {
  GstEvent* ev = GST_PAD_PROBE_INFO_EVENT(info);
  if (!gst_video_event_is_force_key_unit(ev)) return GST_PAD_PROBE_OK;
  auto* self = static_cast<EgressPeer*>(data);
  self->requestKeyframe();
  return GST_PAD_PROBE_DROP;
}

}  // namespace cs
