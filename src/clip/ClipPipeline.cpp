#include "clip/ClipPipeline.h"

#include <spdlog/spdlog.h>

#include "clip/ThreadPriority.h"
#include "media/PipelineLaunch.h"
#include "util/ControlError.h"

namespace cs {
namespace {

// The job pulls frames one by one: a few decoded frames wait for it, and the decoder blocks
// behind them (back-pressure, never a drop).
constexpr guint kDecodedFrames = 4;
// Frames waiting for the encoder; past this the job's push blocks.
constexpr guint64 kQueuedFrames = 4;
// Encoded audio waits at the muxer until video of the same time arrives, which lags by the
// encoder's look-ahead: the queue holds that much and no more.
constexpr guint64 kAudioAheadNs = 10 * GST_SECOND;

GstElement* makeBin(const std::string& description) {
  GError* err = nullptr;
  GstElement* bin = gst_parse_bin_from_description(description.c_str(), TRUE, &err);
  GErrorPtr e(err);
  if (!bin || e) {
    if (bin) gst_object_unref(gst_object_ref_sink(bin));
    return nullptr;
  }
  return bin;
}

}  // namespace

ClipPipeline::ClipPipeline(Options opts) : opts_(std::move(opts)) {
  // bframes=0: presentation order is decode order, so each frame's source timestamp is its
  // DTS too. No zerolatency: the look-ahead is what makes a file encode good.
  const std::string desc =
      "filesrc name=src ! decodebin name=dec "
      "videoconvert name=vconv ! video/x-raw,format=I420 ! appsink name=vsink "
      "appsrc name=vsrc ! x264enc name=enc speed-preset=veryfast bframes=0 ! "
      "video/x-h264,profile=high ! h264parse ! mp4mux name=mux faststart=true ! "
      "filesink name=sink";
  pipeline_ = launchPipeline(desc, "the clip pipeline");
  GstElement* p = pipeline_.get();
  const auto get = [p](const char* name) {
    return GstPtr<GstElement>(gst_bin_get_by_name(GST_BIN(p), name));
  };

  g_object_set(get("src").get(), "location", opts_.input.c_str(), nullptr);
  g_object_set(get("sink").get(), "location", opts_.output.c_str(), "sync", FALSE, "async", FALSE,
               nullptr);
  g_object_set(get("enc").get(), "threads", guint(std::max(1, opts_.encoderThreads)), nullptr);

  auto vsink = get("vsink");
  videoSink_ = GST_APP_SINK(vsink.get());
  g_object_set(vsink.get(), "sync", FALSE, "max-buffers", kDecodedFrames, "drop", FALSE,
               "emit-signals", FALSE, nullptr);
  auto vsrc = get("vsrc");
  videoSrc_ = GST_APP_SRC(vsrc.get());
  // Not block=true: a push blocked in appsrc wakes only on a flush, and an encoder that failed
  // never drains it. push() waits for room itself, and wakes on a failure or interrupt().
  g_object_set(vsrc.get(), "is-live", FALSE, "format", GST_FORMAT_TIME, "block", FALSE,
               "do-timestamp", FALSE, "max-buffers", guint64(0), "max-bytes", guint64(0),
               "max-time", guint64(0), nullptr);
  videoIn_ = get("vconv").get();  // the pipeline keeps it

  auto dec = get("dec");
  g_signal_connect(dec.get(), "pad-added", G_CALLBACK(+[](GstElement*, GstPad* pad, gpointer self) {
                     static_cast<ClipPipeline*>(self)->onPadAdded(pad);
                   }),
                   this);
  g_signal_connect(dec.get(), "no-more-pads", G_CALLBACK(+[](GstElement*, gpointer self) {
                     static_cast<ClipPipeline*>(self)->onNoMorePads();
                   }),
                   this);

  GstPtr<GstBus> bus(gst_element_get_bus(p));
  gst_bus_set_sync_handler(bus.get(), onBusMessage, this, nullptr);
}

ClipPipeline::~ClipPipeline() {
  stop();
  GstPtr<GstBus> bus(gst_element_get_bus(pipeline_.get()));
  gst_bus_set_sync_handler(bus.get(), nullptr, nullptr, nullptr);
  // decodebin's signals name this object: nothing may call them once it is gone.
  GstPtr<GstElement> dec(gst_bin_get_by_name(GST_BIN(pipeline_.get()), "dec"));
  g_signal_handlers_disconnect_by_data(dec.get(), this);
}

bool ClipPipeline::start() {
  if (gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    fail("the clip pipeline did not start");
    return false;
  }
  return true;
}

void ClipPipeline::stop() {
  // Joins every streaming thread (the caller is not one of them): no callback runs afterwards.
  gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
}

void ClipPipeline::onPadAdded(GstPad* pad) {
  CapsPtr caps(gst_pad_get_current_caps(pad));
  if (!caps) caps.reset(gst_pad_query_caps(pad, nullptr));
  const char* media = gst_structure_get_name(gst_caps_get_structure(caps.get(), 0));
  const std::string kind(media ? media : "");
  GstElement* p = pipeline_.get();
  if (kind.rfind("video/", 0) == 0 && !videoLinked_.exchange(true)) {
    GstPtr<GstPad> sink(gst_element_get_static_pad(videoIn_, "sink"));
    if (gst_pad_link(pad, sink.get()) != GST_PAD_LINK_OK) fail("cannot link the clip's video");
    return;
  }
  if (kind.rfind("audio/", 0) == 0 && !audioLinked_.load()) {
    // The muxer takes a new pad only before it has written anything, which holds here:
    // decodebin exposes a file's pads together, before the first frame reaches the job.
    GstElement* bin = makeBin(
        "audioconvert ! audioresample ! avenc_aac ! queue max-size-buffers=0 max-size-bytes=0 "
        "max-size-time=" +
        std::to_string(kAudioAheadNs));
    GstPtr<GstElement> mux(gst_bin_get_by_name(GST_BIN(p), "mux"));
    if (bin) {
      gst_bin_add(GST_BIN(p), bin);
      GstPtr<GstPad> binSink(gst_element_get_static_pad(bin, "sink"));
      GstPtr<GstPad> binSrc(gst_element_get_static_pad(bin, "src"));
      GstPtr<GstPad> muxAudio(gst_element_request_pad_simple(mux.get(), "audio_%u"));
      if (muxAudio && gst_pad_link(binSrc.get(), muxAudio.get()) == GST_PAD_LINK_OK &&
          gst_pad_link(pad, binSink.get()) == GST_PAD_LINK_OK) {
        gst_element_sync_state_with_parent(bin);
        audioLinked_.store(true);
        return;
      }
    }
    spdlog::warn("clip {}: the audio track cannot be encoded; the result has none",
                 opts_.input.filename().string());
  }
  // Anything else (a second audio track, subtitles) is left out of the result: a fakesink keeps
  // its pad linked, so decodebin does not stop with not-linked.
  GstElement* sink = gst_element_factory_make("fakesink", nullptr);
  g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
  gst_bin_add(GST_BIN(p), sink);
  GstPtr<GstPad> sinkPad(gst_element_get_static_pad(sink, "sink"));
  gst_pad_link(pad, sinkPad.get());
  gst_element_sync_state_with_parent(sink);
}

void ClipPipeline::onNoMorePads() {
  if (!videoLinked_.load()) fail("the file has no video track");
}

ClipPipeline::Pull ClipPipeline::pull(SamplePtr& out, std::chrono::milliseconds timeout) {
  {
    std::lock_guard lock(mu_);
    if (failed_) return Pull::Error;
  }
  GstSample* s = gst_app_sink_try_pull_sample(
      videoSink_, static_cast<GstClockTime>(timeout.count()) * GST_MSECOND);
  if (s) {
    out.reset(s);
    return Pull::Frame;
  }
  std::lock_guard lock(mu_);
  if (failed_) return Pull::Error;
  if (gst_app_sink_is_eos(videoSink_)) return Pull::End;
  return Pull::Timeout;
}

bool ClipPipeline::push(BufferPtr frame, int width, int height, int fpsN, int fpsD) {
  if (!capsSet_) {
    CapsPtr caps(gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "I420", "width",
                                     G_TYPE_INT, width, "height", G_TYPE_INT, height, "framerate",
                                     GST_TYPE_FRACTION, fpsN, fpsD, nullptr));
    gst_app_src_set_caps(videoSrc_, caps.get());
    capsSet_ = true;
  }
  {
    // The encoder drains the queue on its own thread; a short poll is all the wake-up needed
    // (a frame of encoding takes milliseconds).
    std::unique_lock lock(mu_);
    while (!failed_ && gst_app_src_get_current_level_buffers(videoSrc_) >= kQueuedFrames)
      cv_.wait_for(lock, std::chrono::milliseconds(2));
    if (failed_) return false;
  }
  return gst_app_src_push_buffer(videoSrc_, frame.release()) == GST_FLOW_OK;
}

bool ClipPipeline::finish(std::chrono::milliseconds timeout) {
  gst_app_src_end_of_stream(videoSrc_);
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, timeout, [&] { return failed_ || eos_; })) {
    failed_ = true;
    error_ = "the encoder did not finish in time";
    return false;
  }
  return !failed_;
}

GstClockTime ClipPipeline::duration() const {
  gint64 d = -1;
  if (!gst_element_query_duration(pipeline_.get(), GST_FORMAT_TIME, &d) || d <= 0)
    return GST_CLOCK_TIME_NONE;
  return static_cast<GstClockTime>(d);
}

void ClipPipeline::interrupt(const std::string& reason) {
  fail(reason);
}

std::string ClipPipeline::error() const {
  std::lock_guard lock(mu_);
  return error_;
}

void ClipPipeline::fail(const std::string& reason) {
  {
    std::lock_guard lock(mu_);
    if (failed_) return;
    failed_ = true;
    error_ = reason;
  }
  cv_.notify_all();
}

GstBusSyncReply ClipPipeline::onBusMessage(GstBus*, GstMessage* msg, gpointer data) {
  auto* self = static_cast<ClipPipeline*>(data);
  switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_STREAM_STATUS: {
      // Posted from the new streaming thread itself: the one place to lower its priority.
      GstStreamStatusType type;
      GstElement* owner = nullptr;
      gst_message_parse_stream_status(msg, &type, &owner);
      if (type == GST_STREAM_STATUS_TYPE_ENTER) lowerThreadPriority(self->opts_.niceness);
      break;
    }
    case GST_MESSAGE_ERROR: {
      GError* err = nullptr;
      gchar* dbg = nullptr;
      gst_message_parse_error(msg, &err, &dbg);
      GErrorPtr e(err);
      GCharPtr d(dbg);
      spdlog::debug("clip {}: error from {}: {} ({})", self->opts_.input.filename().string(),
                    GST_OBJECT_NAME(msg->src), e ? e->message : "?", d ? d.get() : "");
      std::string reason = e ? e->message : "unknown error";
      if (e && e->domain == GST_STREAM_ERROR) reason = "cannot decode the clip: " + reason;
      self->fail(reason);
      break;
    }
    case GST_MESSAGE_EOS: {
      {
        std::lock_guard lock(self->mu_);
        self->eos_ = true;
      }
      self->cv_.notify_all();
      break;
    }
    default:
      break;
  }
  // Nobody pops this bus: a sync handler that drops a message owns it.
  gst_message_unref(msg);
  return GST_BUS_DROP;
}

}  // namespace cs
