#pragma once
// Real encoded media for recorder tests (H.264 from the server's own VideoEncoder, Opus from
// opusenc), and a decoder that reports what a recorded file really holds.
#include <gst/app/gstappsink.h>
#include <gst/gst.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../TestFrames.h"
#include "media/RunningTime.h"
#include "media/VideoEncoder.h"
#include "util/GstPtr.h"
#include "util/MainLoop.h"

namespace cs::test {

// A copy of sample with its buffer at running time pts in a plain [0, ∞) segment.
inline SamplePtr restamp(GstSample* sample, GstClockTime pts) {
  GstBuffer* buf = gst_buffer_copy(gst_sample_get_buffer(sample));
  GST_BUFFER_PTS(buf) = pts;
  GST_BUFFER_DTS(buf) = GST_CLOCK_TIME_NONE;
  GstSegment seg;
  gst_segment_init(&seg, GST_FORMAT_TIME);
  GstSample* s = gst_sample_new(buf, gst_sample_get_caps(sample), &seg, nullptr);
  gst_buffer_unref(buf);
  return SamplePtr(s);
}

inline bool isKeyframe(GstSample* s) {
  return !GST_BUFFER_FLAG_IS_SET(gst_sample_get_buffer(s), GST_BUFFER_FLAG_DELTA_UNIT);
}

// `frames` frames of w×h at 30 fps, luma `y`, through the server's H.264 encoder; the first
// frame's input PTS is startPts. The samples are the encoder's own (its segment included), so
// runningTimeOf() is what a stream's viewers see.
inline std::vector<SamplePtr> encodeH264(MainLoop& loop, int w, int h, int frames,
                                         GstClockTime startPts, uint8_t y = 200) {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<SamplePtr> out;
  auto enc =
      std::make_shared<VideoEncoder>(VideoCodec::H264, 1'000'000, 0, loop, [&](GstSample* s) {
        std::lock_guard lock(mu);
        out.emplace_back(gst_sample_ref(s));
        cv.notify_all();
      });
  enc->start();
  GstVideoInfo info;
  gst_video_info_set_format(&info, GST_VIDEO_FORMAT_I420, w, h);
  // x264enc holds one frame (its latency is one frame): one more input pushes the last out.
  for (int i = 0; i <= frames; ++i) {
    const GstClockTime pts = startPts + GST_SECOND * i / 30;
    auto s = makeI420Sample(w, h, y, 128, 128, pts);
    enc->push(BufferPtr(gst_buffer_ref(gst_sample_get_buffer(s.get()))), info);
    // Every earlier frame out before the next goes in, so the encoder's 2-frame leaky input
    // never drops one.
    std::unique_lock lock(mu);
    cv.wait_for(lock, std::chrono::seconds(10), [&] { return out.size() >= size_t(i); });
  }
  loop.invokeSync([&] { enc->stop(); });
  out.resize(std::min(out.size(), size_t(frames)));
  return out;
}

// `packets` 20 ms stereo Opus packets of a sine, at running times startPts + 20 ms × i.
inline std::vector<SamplePtr> encodeOpus(int packets, GstClockTime startPts) {
  const std::string desc = "audiotestsrc num-buffers=" + std::to_string(packets) +
                           " samplesperbuffer=960 ! audio/x-raw,rate=48000,channels=2 ! "
                           "opusenc frame-size=20 ! appsink name=sink sync=false";
  ElementPtr p = adoptElement(gst_parse_launch(desc.c_str(), nullptr));
  GstPtr<GstElement> sink(gst_bin_get_by_name(GST_BIN(p.get()), "sink"));
  gst_element_set_state(p.get(), GST_STATE_PLAYING);
  std::vector<SamplePtr> out;
  while (SamplePtr s{gst_app_sink_pull_sample(GST_APP_SINK(sink.get()))})
    out.push_back(restamp(s.get(), startPts + 20 * GST_MSECOND * out.size()));
  gst_element_set_state(p.get(), GST_STATE_NULL);
  return out;
}

// What a recorded file decodes to: matroskademux, then avdec_h264 and opusdec.
struct DecodedFile {
  std::string error;  // a pipeline error (a file that does not play)
  bool eos = false;
  std::string videoCodec, audioCodec;   // the demuxer's caps names
  int trackWidth = 0, trackHeight = 0;  // the video track's header
  bool firstVideoIsKeyframe = false;
  int videoFrames = 0;
  std::vector<std::pair<int, int>> sizes;  // decoded frame sizes, in order of first appearance
  std::vector<int> lumas;                  // the centre pixel's luma of every decoded frame
  GstClockTime firstVideoPts = GST_CLOCK_TIME_NONE, lastVideoPts = 0;
  int audioBuffers = 0;
  GstClockTime firstAudioPts = GST_CLOCK_TIME_NONE, audioEnd = 0;
};

namespace detail {

struct DecodeState {
  std::mutex mu;
  DecodedFile r;
  bool sawVideo = false;
};

inline GstFlowReturn onDecodedVideo(GstAppSink* sink, gpointer data) {
  auto* st = static_cast<DecodeState*>(data);
  SamplePtr s(gst_app_sink_pull_sample(sink));
  if (!s) return GST_FLOW_EOS;
  GstVideoInfo info;
  gst_video_info_from_caps(&info, gst_sample_get_caps(s.get()));
  GstVideoFrame f;
  int luma = -1;
  if (gst_video_frame_map(&f, &info, gst_sample_get_buffer(s.get()), GST_MAP_READ)) {
    const auto* y = static_cast<const uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&f, 0));
    luma = y[(info.height / 2) * GST_VIDEO_FRAME_PLANE_STRIDE(&f, 0) + info.width / 2];
    gst_video_frame_unmap(&f);
  }
  std::lock_guard lock(st->mu);
  auto& r = st->r;
  r.videoFrames++;
  if (r.sizes.empty() || r.sizes.back() != std::pair{info.width, info.height})
    r.sizes.emplace_back(info.width, info.height);
  r.lumas.push_back(luma);
  const GstClockTime pts = GST_BUFFER_PTS(gst_sample_get_buffer(s.get()));
  if (!GST_CLOCK_TIME_IS_VALID(r.firstVideoPts)) r.firstVideoPts = pts;
  r.lastVideoPts = std::max(r.lastVideoPts, pts);
  return GST_FLOW_OK;
}

inline GstFlowReturn onDecodedAudio(GstAppSink* sink, gpointer data) {
  auto* st = static_cast<DecodeState*>(data);
  SamplePtr s(gst_app_sink_pull_sample(sink));
  if (!s) return GST_FLOW_EOS;
  GstBuffer* b = gst_sample_get_buffer(s.get());
  std::lock_guard lock(st->mu);
  auto& r = st->r;
  r.audioBuffers++;
  if (!GST_CLOCK_TIME_IS_VALID(r.firstAudioPts)) r.firstAudioPts = GST_BUFFER_PTS(b);
  r.audioEnd = std::max(r.audioEnd, GST_BUFFER_PTS(b) + GST_BUFFER_DURATION(b));
  return GST_FLOW_OK;
}

inline GstPadProbeReturn onDemuxedVideo(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* st = static_cast<DecodeState*>(data);
  std::lock_guard lock(st->mu);
  if (!st->sawVideo) {
    st->sawVideo = true;
    st->r.firstVideoIsKeyframe =
        !GST_BUFFER_FLAG_IS_SET(GST_PAD_PROBE_INFO_BUFFER(info), GST_BUFFER_FLAG_DELTA_UNIT);
  }
  return GST_PAD_PROBE_OK;
}

inline void onDemuxPad(GstElement* demux, GstPad* pad, gpointer data) {
  auto* st = static_cast<DecodeState*>(data);
  CapsPtr caps(gst_pad_get_current_caps(pad));
  const GstStructure* s = gst_caps_get_structure(caps.get(), 0);
  const std::string name = gst_structure_get_name(s);
  const bool video = name.starts_with("video/");
  {
    std::lock_guard lock(st->mu);
    if (video) {
      st->r.videoCodec = name;
      gst_structure_get_int(s, "width", &st->r.trackWidth);
      gst_structure_get_int(s, "height", &st->r.trackHeight);
    } else {
      st->r.audioCodec = name;
    }
  }
  // A queue per branch: the demuxer feeds both from one thread, and a sink that waits to
  // preroll would otherwise starve the other.
  const char* desc =
      video ? "queue ! h264parse ! avdec_h264 ! videoconvert ! video/x-raw,format=I420 ! "
              "appsink name=out sync=false"
            : "queue ! opusdec ! appsink name=out sync=false";
  GstElement* bin = gst_parse_bin_from_description(desc, TRUE, nullptr);
  GstPtr<GstElement> out(gst_bin_get_by_name(GST_BIN(bin), "out"));
  GstAppSinkCallbacks cbs{};
  cbs.new_sample = video ? onDecodedVideo : onDecodedAudio;
  gst_app_sink_set_callbacks(GST_APP_SINK(out.get()), &cbs, st, nullptr);
  GstElement* pipeline = GST_ELEMENT(gst_element_get_parent(demux));
  gst_bin_add(GST_BIN(pipeline), bin);
  gst_object_unref(pipeline);
  gst_element_sync_state_with_parent(bin);
  GstPtr<GstPad> sinkPad(gst_element_get_static_pad(bin, "sink"));
  gst_pad_link(pad, sinkPad.get());
  if (video) gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, onDemuxedVideo, st, nullptr);
}

}  // namespace detail

inline DecodedFile decodeFile(const std::filesystem::path& path) {
  detail::DecodeState st;
  const std::string desc = "filesrc name=src ! matroskademux name=demux";
  ElementPtr p = adoptElement(gst_parse_launch(desc.c_str(), nullptr));
  GstPtr<GstElement> src(gst_bin_get_by_name(GST_BIN(p.get()), "src"));
  g_object_set(src.get(), "location", path.c_str(), nullptr);
  GstPtr<GstElement> demux(gst_bin_get_by_name(GST_BIN(p.get()), "demux"));
  g_signal_connect(demux.get(), "pad-added", G_CALLBACK(detail::onDemuxPad), &st);
  gst_element_set_state(p.get(), GST_STATE_PLAYING);
  GstPtr<GstBus> bus(gst_element_get_bus(p.get()));
  GstMiniPtr<GstMessage> msg(gst_bus_timed_pop_filtered(
      bus.get(), 60 * GST_SECOND, GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR)));
  std::string error = !msg ? "timeout" : "";
  if (msg && GST_MESSAGE_TYPE(msg.get()) == GST_MESSAGE_ERROR) {
    GError* err = nullptr;
    gst_message_parse_error(msg.get(), &err, nullptr);
    error = err ? err->message : "error";
    if (err) g_error_free(err);
  }
  gst_element_set_state(p.get(), GST_STATE_NULL);
  std::lock_guard lock(st.mu);
  DecodedFile r = st.r;
  r.error = error;
  r.eos = msg && GST_MESSAGE_TYPE(msg.get()) == GST_MESSAGE_EOS;
  return r;
}

}  // namespace cs::test
