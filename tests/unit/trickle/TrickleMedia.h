#pragma once
// Real MPEG-TS for the trickle media tests: made in-process with the encoders a Livepeer
// gateway's ffmpeg would use in spirit (x264 without B-frames, Opus or AAC, mpegtsmux), and a
// decoder that reports what a TS byte string really holds (tsdemux ! h264parse ! avdec_h264).
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "util/GstPtr.h"

namespace cs::test {

enum class TsAudio { None, Opus, Aac };

// `frames` frames of w×h at 30 fps (a keyframe every keyInt), with `seconds`-long audio as
// asked, muxed into one MPEG-TS byte string. `pattern` is a videotestsrc pattern number.
// The stream cut before each PES (a video frame or an audio packet), the tables before a PES
// going with it: what a sender writes per frame.
inline std::vector<std::vector<uint8_t>> makeTsChunks(int frames, int w, int h, TsAudio audio,
                                                      int keyInt = 30, int pattern = 0);

inline std::vector<uint8_t> makeTs(int frames, int w, int h, TsAudio audio, int keyInt = 30,
                                   int pattern = 0) {
  std::vector<uint8_t> out;
  for (const auto& c : makeTsChunks(frames, w, h, audio, keyInt, pattern))
    out.insert(out.end(), c.begin(), c.end());
  return out;
}

inline std::vector<std::vector<uint8_t>> makeTsChunks(int frames, int w, int h, TsAudio audio,
                                                      int keyInt, int pattern) {
  std::string desc = "videotestsrc num-buffers=" + std::to_string(frames) +
                     " pattern=" + std::to_string(pattern) +
                     " ! video/x-raw,width=" + std::to_string(w) + ",height=" + std::to_string(h) +
                     ",framerate=30/1 ! x264enc speed-preset=ultrafast tune=zerolatency "
                     "key-int-max=" +
                     std::to_string(keyInt) +
                     " bframes=0 ! h264parse ! mpegtsmux name=mux ! appsink name=sink sync=false";
  // As long as the video: 20 ms packets.
  const int packets = frames * 50 / 30;
  const std::string audioSrc = " audiotestsrc num-buffers=" + std::to_string(packets) +
                               " samplesperbuffer=960 ! audio/x-raw,rate=48000,channels=2 ! ";
  if (audio == TsAudio::Opus) desc += audioSrc + "opusenc frame-size=20 ! mux.";
  if (audio == TsAudio::Aac) desc += audioSrc + "avenc_aac ! aacparse ! mux.";
  ElementPtr p = adoptElement(gst_parse_launch(desc.c_str(), nullptr));
  if (!p) return {};
  GstPtr<GstElement> sink(gst_bin_get_by_name(GST_BIN(p.get()), "sink"));
  gst_element_set_state(p.get(), GST_STATE_PLAYING);
  std::vector<uint8_t> all;
  while (SamplePtr s{gst_app_sink_pull_sample(GST_APP_SINK(sink.get()))}) {
    GstBuffer* b = gst_sample_get_buffer(s.get());
    GstMapInfo m;
    gst_buffer_map(b, &m, GST_MAP_READ);
    all.insert(all.end(), m.data, m.data + m.size);
    gst_buffer_unmap(b, &m);
  }
  std::vector<std::vector<uint8_t>> out;
  bool afterTable = false;
  for (size_t o = 0; o + 188 <= all.size(); o += 188) {
    const bool start = all[o + 1] & 0x40;
    const int pid = ((all[o + 1] & 0x1f) << 8) | all[o + 2];
    const bool table = pid == 0 || pid == 0x20;  // PAT, and mpegtsmux's PMT
    if (out.empty() || (start && !afterTable)) out.emplace_back();
    out.back().insert(out.back().end(), all.begin() + o, all.begin() + o + 188);
    afterTable = table;
  }
  gst_element_set_state(p.get(), GST_STATE_NULL);
  return out;
}

// What a TS byte string decodes to, alone.
struct DecodedTs {
  std::string error;
  int videoFrames = 0;  // decoded by avdec_h264
  // The first demuxed video access unit holds an IDR slice (read from the bytes: h264parse
  // would silently drop frames before its first parameter sets).
  bool firstVideoIsKeyframe = false;
  int demuxedVideo = 0;
  int parsedVideo = 0;  // access units out of h264parse
  int width = 0, height = 0;
  std::string audioCaps;  // the demuxed audio's caps name
  int audioBuffers = 0;
};

namespace tsdetail {

struct TsDecodeState {
  std::mutex mu;
  DecodedTs r;
  GstElement* pipeline = nullptr;
};

inline GstPadProbeReturn onParsed(GstPad*, GstPadProbeInfo*, gpointer data) {
  auto* st = static_cast<TsDecodeState*>(data);
  std::lock_guard lock(st->mu);
  ++st->r.parsedVideo;
  return GST_PAD_PROBE_OK;
}

inline bool hasIdrSlice(GstBuffer* buf) {
  GstMapInfo m;
  if (!gst_buffer_map(buf, &m, GST_MAP_READ)) return false;
  bool idr = false;
  for (size_t i = 0; i + 3 < m.size && !idr; ++i)
    idr = m.data[i] == 0 && m.data[i + 1] == 0 && m.data[i + 2] == 1 && (m.data[i + 3] & 0x1f) == 5;
  gst_buffer_unmap(buf, &m);
  return idr;
}

inline GstPadProbeReturn onDemuxedVideo(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* st = static_cast<TsDecodeState*>(data);
  std::lock_guard lock(st->mu);
  if (st->r.demuxedVideo++ == 0)
    st->r.firstVideoIsKeyframe = hasIdrSlice(GST_PAD_PROBE_INFO_BUFFER(info));
  return GST_PAD_PROBE_OK;
}

inline GstPadProbeReturn onAudio(GstPad*, GstPadProbeInfo*, gpointer data) {
  auto* st = static_cast<TsDecodeState*>(data);
  std::lock_guard lock(st->mu);
  ++st->r.audioBuffers;
  return GST_PAD_PROBE_OK;
}

inline GstPadProbeReturn onDecoded(GstPad* pad, GstPadProbeInfo*, gpointer data) {
  auto* st = static_cast<TsDecodeState*>(data);
  CapsPtr caps(gst_pad_get_current_caps(pad));
  std::lock_guard lock(st->mu);
  ++st->r.videoFrames;
  if (caps) {
    const GstStructure* s = gst_caps_get_structure(caps.get(), 0);
    gst_structure_get_int(s, "width", &st->r.width);
    gst_structure_get_int(s, "height", &st->r.height);
  }
  return GST_PAD_PROBE_OK;
}

inline void onDemuxPad(GstElement*, GstPad* pad, gpointer data) {
  auto* st = static_cast<TsDecodeState*>(data);
  CapsPtr caps(gst_pad_query_caps(pad, nullptr));
  const std::string name = gst_structure_get_name(gst_caps_get_structure(caps.get(), 0));
  const bool video = name == "video/x-h264";
  const char* desc =
      video ? "queue ! h264parse name=parse ! avdec_h264 name=dec output-corrupt=false ! fakesink"
            : "queue ! fakesink name=asink";
  GstElement* bin = gst_parse_bin_from_description(desc, TRUE, nullptr);
  if (video) {
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, onDemuxedVideo, st, nullptr);
    GstPtr<GstElement> parse(gst_bin_get_by_name(GST_BIN(bin), "parse"));
    GstPtr<GstPad> out(gst_element_get_static_pad(parse.get(), "src"));
    gst_pad_add_probe(out.get(), GST_PAD_PROBE_TYPE_BUFFER, onParsed, st, nullptr);
    GstPtr<GstElement> dec(gst_bin_get_by_name(GST_BIN(bin), "dec"));
    GstPtr<GstPad> decOut(gst_element_get_static_pad(dec.get(), "src"));
    gst_pad_add_probe(decOut.get(), GST_PAD_PROBE_TYPE_BUFFER, onDecoded, st, nullptr);
  } else {
    {
      std::lock_guard lock(st->mu);
      st->r.audioCaps = name;
    }
    GstPtr<GstElement> sink(gst_bin_get_by_name(GST_BIN(bin), "asink"));
    GstPtr<GstPad> in(gst_element_get_static_pad(sink.get(), "sink"));
    gst_pad_add_probe(in.get(), GST_PAD_PROBE_TYPE_BUFFER, onAudio, st, nullptr);
  }
  gst_bin_add(GST_BIN(st->pipeline), bin);
  gst_element_sync_state_with_parent(bin);
  GstPtr<GstPad> sinkPad(gst_element_get_static_pad(bin, "sink"));
  gst_pad_link(pad, sinkPad.get());
}

}  // namespace tsdetail

inline DecodedTs decodeTs(const std::vector<uint8_t>& bytes) {
  tsdetail::TsDecodeState st;
  ElementPtr p = adoptElement(gst_parse_launch(
      "appsrc name=src caps=video/mpegts,systemstream=true ! tsdemux name=demux", nullptr));
  st.pipeline = p.get();
  GstPtr<GstElement> demux(gst_bin_get_by_name(GST_BIN(p.get()), "demux"));
  g_signal_connect(demux.get(), "pad-added", G_CALLBACK(tsdetail::onDemuxPad), &st);
  GstPtr<GstElement> src(gst_bin_get_by_name(GST_BIN(p.get()), "src"));
  gst_element_set_state(p.get(), GST_STATE_PLAYING);
  gst_app_src_push_buffer(GST_APP_SRC(src.get()),
                          gst_buffer_new_memdup(bytes.data(), bytes.size()));
  gst_app_src_end_of_stream(GST_APP_SRC(src.get()));
  GstPtr<GstBus> bus(gst_element_get_bus(p.get()));
  GstMiniPtr<GstMessage> msg(gst_bus_timed_pop_filtered(
      bus.get(), 20 * GST_SECOND, GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR)));
  DecodedTs r;
  if (!msg) {
    r.error = "timeout";
  } else if (GST_MESSAGE_TYPE(msg.get()) == GST_MESSAGE_ERROR) {
    GError* e = nullptr;
    gst_message_parse_error(msg.get(), &e, nullptr);
    r.error = e ? e->message : "error";
    if (e) g_error_free(e);
  }
  gst_element_set_state(p.get(), GST_STATE_NULL);
  std::lock_guard lock(st.mu);
  std::string err = r.error;
  r = st.r;
  r.error = err;
  return r;
}

}  // namespace cs::test
