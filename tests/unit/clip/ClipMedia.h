#pragma once
// Clips made with GStreamer for the clip tests (H.264+AAC MP4, VP8+Vorbis WebM), and what a
// result file really holds, read back through decodebin.
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include <atomic>
#include <filesystem>
#include <string>

#include "util/GstPtr.h"

namespace cs::test {

// Runs a gst-launch description to EOS; false on an error.
inline bool runToEos(const std::string& desc) {
  GError* err = nullptr;
  ElementPtr p(gst_parse_launch(desc.c_str(), &err));
  GErrorPtr e(err);
  if (!p || e) return false;
  gst_element_set_state(p.get(), GST_STATE_PLAYING);
  GstPtr<GstBus> bus(gst_element_get_bus(p.get()));
  GstMiniPtr<GstMessage> msg(gst_bus_timed_pop_filtered(
      bus.get(), 60 * GST_SECOND, GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR)));
  const bool ok = msg && GST_MESSAGE_TYPE(msg.get()) == GST_MESSAGE_EOS;
  gst_element_set_state(p.get(), GST_STATE_NULL);
  return ok;
}

// `seconds` of w×h at 30 fps, a white picture (luma 235), with a tone; moov at the end (mp4mux's
// default), so a truncated copy has no index.
inline bool makeMp4(const std::filesystem::path& path, int seconds = 5, int w = 320, int h = 240,
                    bool audio = true) {
  std::string d = "videotestsrc pattern=white num-buffers=" + std::to_string(seconds * 30) +
                  " ! video/x-raw,width=" + std::to_string(w) + ",height=" + std::to_string(h) +
                  ",framerate=30/1 ! x264enc speed-preset=ultrafast ! h264parse ! mp4mux name=m ! "
                  "filesink location=" +
                  path.string();
  if (audio)
    d += " audiotestsrc num-buffers=" + std::to_string(seconds * 48000 / 1024) +
         " samplesperbuffer=1024 ! audio/x-raw,rate=48000,channels=2 ! audioconvert ! "
         "avenc_aac ! m.";
  return runToEos(d);
}

inline bool makeWebm(const std::filesystem::path& path, int seconds = 2) {
  return runToEos(
      "videotestsrc pattern=white num-buffers=" + std::to_string(seconds * 30) +
      " ! video/x-raw,width=320,height=240,framerate=30/1 ! vp8enc deadline=1 ! "
      "webmmux name=m ! filesink location=" +
      path.string() + " audiotestsrc num-buffers=" + std::to_string(seconds * 48000 / 1024) +
      " samplesperbuffer=1024 ! audio/x-raw,rate=48000 ! audioconvert ! vorbisenc ! m.");
}

struct ClipContents {
  bool ok = false;
  int frames = 0;
  int width = 0, height = 0;
  GstClockTime firstPts = GST_CLOCK_TIME_NONE;
  GstClockTime end = 0;   // last frame's PTS + duration
  double firstLuma = -1;  // mean luma of the first frame
  int audioBuffers = 0;
  std::string videoCaps;  // of the container's video track (before decoding)
};

// Decodes a file and reports what it holds.
inline ClipContents inspectClip(const std::filesystem::path& path) {
  ClipContents c;
  GError* err = nullptr;
  ElementPtr p(gst_parse_launch(("filesrc location=" + path.string() +
                                 " ! decodebin name=d videoconvert name=vc ! "
                                 "video/x-raw,format=I420 ! appsink name=vs sync=false "
                                 "max-buffers=8")
                                    .c_str(),
                                &err));
  GErrorPtr e(err);
  if (!p || e) return c;
  struct Ctx {
    GstElement* pipeline;
    GstElement* vc;
    std::atomic<int> audio{0};
  } ctx{p.get(), nullptr};
  GstPtr<GstElement> vc(gst_bin_get_by_name(GST_BIN(p.get()), "vc"));
  ctx.vc = vc.get();
  GstPtr<GstElement> dec(gst_bin_get_by_name(GST_BIN(p.get()), "d"));
  g_signal_connect(dec.get(), "pad-added", G_CALLBACK(+[](GstElement*, GstPad* pad, gpointer data) {
                     auto* x = static_cast<Ctx*>(data);
                     CapsPtr caps(gst_pad_query_caps(pad, nullptr));
                     const std::string name =
                         gst_structure_get_name(gst_caps_get_structure(caps.get(), 0));
                     if (name.rfind("video/", 0) == 0) {
                       GstPtr<GstPad> sink(gst_element_get_static_pad(x->vc, "sink"));
                       gst_pad_link(pad, sink.get());
                       return;
                     }
                     GstElement* fs = gst_element_factory_make("fakesink", nullptr);
                     g_object_set(fs, "sync", FALSE, "async", FALSE, nullptr);
                     gst_bin_add(GST_BIN(x->pipeline), fs);
                     GstPtr<GstPad> sink(gst_element_get_static_pad(fs, "sink"));
                     gst_pad_add_probe(
                         sink.get(), GST_PAD_PROBE_TYPE_BUFFER,
                         +[](GstPad*, GstPadProbeInfo*, gpointer d) {
                           static_cast<std::atomic<int>*>(d)->fetch_add(1);
                           return GST_PAD_PROBE_OK;
                         },
                         &x->audio, nullptr);
                     gst_pad_link(pad, sink.get());
                     gst_element_sync_state_with_parent(fs);
                   }),
                   &ctx);
  GstPtr<GstElement> vs(gst_bin_get_by_name(GST_BIN(p.get()), "vs"));
  gst_element_set_state(p.get(), GST_STATE_PLAYING);
  GstPtr<GstBus> bus(gst_element_get_bus(p.get()));
  for (;;) {
    GstSample* s = gst_app_sink_try_pull_sample(GST_APP_SINK(vs.get()), 5 * GST_SECOND);
    if (!s) break;
    SamplePtr sample(s);
    GstBuffer* b = gst_sample_get_buffer(s);
    GstVideoInfo info;
    gst_video_info_from_caps(&info, gst_sample_get_caps(s));
    if (c.frames == 0) {
      c.width = GST_VIDEO_INFO_WIDTH(&info);
      c.height = GST_VIDEO_INFO_HEIGHT(&info);
      c.firstPts = GST_BUFFER_PTS(b);
      GstVideoFrame f;
      if (gst_video_frame_map(&f, &info, b, GST_MAP_READ)) {
        double sum = 0;
        const auto* y = static_cast<const uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&f, 0));
        const int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&f, 0);
        for (int r = 0; r < c.height; ++r)
          for (int x = 0; x < c.width; ++x) sum += y[r * stride + x];
        c.firstLuma = sum / (c.width * c.height);
        gst_video_frame_unmap(&f);
      }
    }
    ++c.frames;
    const GstClockTime d = GST_BUFFER_DURATION(b);
    c.end = GST_BUFFER_PTS(b) + (GST_CLOCK_TIME_IS_VALID(d) ? d : 0);
  }
  GstMiniPtr<GstMessage> err2(gst_bus_pop_filtered(bus.get(), GST_MESSAGE_ERROR));
  c.ok = !err2 && gst_app_sink_is_eos(GST_APP_SINK(vs.get()));
  gst_element_set_state(p.get(), GST_STATE_NULL);
  c.audioBuffers = ctx.audio.load();
  return c;
}

}  // namespace cs::test
