#include "rtc/IngestPeer.h"

#include <spdlog/spdlog.h>

#include "util/ControlError.h"
#include "util/RateLimitedLog.h"

namespace cs {
namespace {

constexpr auto kNegotiationTimeout = std::chrono::seconds(5);

// sync=false: frames are handed on as they are decoded; the pipeline's own mailbox does the
// pacing. Depayloaders ask for a keyframe on loss and hold back until one arrives, so the
// decoder never shows garbage. Slice threading: frame threading adds a frame of latency.
constexpr const char* kH264Branch =
    "queue max-size-buffers=0 max-size-bytes=0 max-size-time=200000000 ! "
    "rtph264depay request-keyframe=true wait-for-keyframe=true ! h264parse ! "
    "avdec_h264 thread-type=slice ! videoconvert ! video/x-raw,format=I420 ! "
    "appsink name=sink sync=false async=false";
constexpr const char* kVp8Branch =
    "queue max-size-buffers=0 max-size-bytes=0 max-size-time=200000000 ! "
    "rtpvp8depay request-keyframe=true wait-for-keyframe=true ! vp8dec ! videoconvert ! "
    "video/x-raw,format=I420 ! appsink name=sink sync=false async=false";
constexpr const char* kOpusBranch =
    "queue max-size-buffers=0 max-size-bytes=0 max-size-time=200000000 ! rtpopusdepay ! "
    "appsink name=sink sync=false async=false";

}  // namespace

IngestPeer::IngestPeer(std::shared_ptr<PeerConnection> pc, const SdpOffer& offer,
                       Publisher::Listener& listener)
    : pc_(std::move(pc)), listener_(listener) {
  for (const auto& m : offer.media()) {
    if (m.kind == MediaChoice::Kind::Video)
      videoCodec_ = m.videoCodec;
    else
      hasAudio_ = true;
  }
  g_signal_connect(pc_->webrtcbin(), "pad-added", G_CALLBACK(onPadAdded), this);
}

IngestPeer::IngestPeer(const std::string& name, const MediaNetwork& net, GstClockTime baseTime,
                       const SdpOffer& offer, Publisher::Listener& listener)
    : pc_(std::make_shared<PeerConnection>(name, net, baseTime)), listener_(listener) {
  // Without our own recvonly transceivers, webrtcbin copies the offer's sendonly and the answer
  // intersects to inactive (docs/GSTREAMER-NOTES.md §G1). One per m-line, in m-line order.
  for (const auto& m : offer.media()) {
    GstWebRTCRTPTransceiver* t = nullptr;
    g_signal_emit_by_name(pc_->webrtcbin(), "add-transceiver",
                          GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, m.caps.get(), &t);
    if (!t) throw ControlError(ErrorKind::Internal, "cannot add a transceiver");
    if (m.kind == MediaChoice::Kind::Video) {
      g_object_set(t, "do-nack", TRUE, nullptr);
      videoCodec_ = m.videoCodec;
    } else {
      hasAudio_ = true;
    }
    gst_object_unref(t);
  }
  g_signal_connect(pc_->webrtcbin(), "pad-added", G_CALLBACK(onPadAdded), this);
}

std::string IngestPeer::negotiate(const SdpOffer& offer, const std::string& publicIp) {
  pc_->play();
  const std::string answer = pc_->answer(offer.messageForWebrtc(), kNegotiationTimeout);
  return fixAnswer(answer, {offer.profileLevelIds(), publicIp});
}

void IngestPeer::onPadAdded(GstElement*, GstPad* pad, gpointer data) {
  if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC) return;
  static_cast<IngestPeer*>(data)->linkDecoder(pad);
}

void IngestPeer::linkDecoder(GstPad* pad) {
  CapsPtr caps(gst_pad_get_current_caps(pad));
  if (!caps) caps.reset(gst_pad_query_caps(pad, nullptr));
  const GstStructure* s = gst_caps_get_structure(caps.get(), 0);
  const gchar* media = gst_structure_get_string(s, "media");
  const gchar* enc = gst_structure_get_string(s, "encoding-name");
  const std::string encoding = enc ? enc : "";
  const char* desc = nullptr;
  bool video = g_strcmp0(media, "video") == 0;
  if (video && encoding == "H264")
    desc = kH264Branch;
  else if (video && encoding == "VP8")
    desc = kVp8Branch;
  else if (g_strcmp0(media, "audio") == 0 && encoding == "OPUS")
    desc = kOpusBranch;
  if (!desc) {
    CS_LOG_LIMITED(spdlog::level::warn, "WHIP: ignoring an incoming {} stream in {}",
                   media ? media : "?", encoding);
    return;
  }
  GError* err = nullptr;
  GstElement* bin = gst_parse_bin_from_description(desc, TRUE, &err);
  GErrorPtr e(err);
  if (!bin) {
    spdlog::error("WHIP: cannot build the {} decoder: {}", encoding, e ? e->message : "?");
    return;
  }
  GstElement* sink = gst_bin_get_by_name(GST_BIN(bin), "sink");
  GstAppSinkCallbacks cbs{};
  cbs.new_sample = video ? onVideoSample : onAudioSample;
  gst_app_sink_set_callbacks(GST_APP_SINK(sink), &cbs, this, nullptr);
  gst_object_unref(sink);

  gst_bin_add(GST_BIN(pc_->pipeline()), bin);
  gst_element_sync_state_with_parent(bin);
  GstPtr<GstPad> sinkPad(gst_element_get_static_pad(bin, "sink"));
  if (gst_pad_link(pad, sinkPad.get()) != GST_PAD_LINK_OK)
    spdlog::error("WHIP: cannot link the {} decoder", encoding);
}

GstFlowReturn IngestPeer::onVideoSample(GstAppSink* sink, gpointer data) {
  auto* self = static_cast<IngestPeer*>(data);
  SamplePtr sample(gst_app_sink_pull_sample(sink));
  if (!sample) return GST_FLOW_EOS;
  self->framesDecoded_.fetch_add(1, std::memory_order_relaxed);
  self->listener_.onPublisherVideo(sample.get());
  return GST_FLOW_OK;
}

GstFlowReturn IngestPeer::onAudioSample(GstAppSink* sink, gpointer data) {
  auto* self = static_cast<IngestPeer*>(data);
  SamplePtr sample(gst_app_sink_pull_sample(sink));
  if (!sample) return GST_FLOW_EOS;
  self->listener_.onPublisherAudio(sample.get());
  return GST_FLOW_OK;
}

}  // namespace cs
