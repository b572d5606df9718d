#include "media/VideoEncoder.h"

#include "media/PipelineLaunch.h"

#include <spdlog/spdlog.h>

#include <string>

#include "util/ControlError.h"

namespace cs {
namespace {

constexpr guint64 kMaxQueuedFrames = 2;
// The frame rate x264enc is told when the input has none (see push()). Only its rate control uses
// it (bits per frame); timestamps stay the frames' own.
constexpr int kNominalFps = 30;

std::string encoderDescription(VideoCodec codec, unsigned bitrate) {
  // Constrained baseline without B-frames decodes in every browser; a 2 s GOP bounds how long a
  // viewer whose keyframe request got lost waits.
  if (codec == VideoCodec::H264)
    return "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=60 bitrate=" +
           std::to_string(bitrate / 1000) +
           " ! video/x-h264,profile=constrained-baseline ! h264parse config-interval=-1 ! "
           "video/x-h264,stream-format=byte-stream,alignment=au";
  // Realtime VP8 with CBR buffer limits: unconstrained vp8enc overshoots badly on noisy
  // content (docs/GSTREAMER-NOTES.md §G16). One thread: with two, libvpx spin-waits when the cores
  // are busy (300 frames at 320x240 took 20 s instead of 1.4 s with two other busy processes).
  return "vp8enc deadline=1 cpu-used=8 end-usage=cbr lag-in-frames=0 threads=1 "
         "keyframe-max-dist=60 error-resilient=default undershoot=95 buffer-size=1000 "
         "buffer-initial-size=500 buffer-optimal-size=600 max-quantizer=56 target-bitrate=" +
         std::to_string(bitrate);
}

}  // namespace

VideoEncoder::VideoEncoder(VideoCodec codec, unsigned bitrate, GstClockTime baseTime,
                           MainLoop& loop, Output output)
    : codec_(codec), loop_(loop), output_(std::move(output)) {
  const std::string desc = "appsrc name=src ! " + encoderDescription(codec, bitrate) +
                           " ! appsink name=sink sync=false async=false";
  pipeline_ = launchPipeline(desc, "the encoder");
  GstElement* p = pipeline_.get();
  useStreamClock(p, baseTime);

  GstElement* src = gst_bin_get_by_name(GST_BIN(p), "src");
  src_ = GST_APP_SRC(src);
  gst_object_unref(src);  // the pipeline keeps it alive
  g_object_set(src_, "is-live", TRUE, "format", GST_FORMAT_TIME, "do-timestamp", FALSE, "block",
               FALSE, "max-bytes", guint64(0), "max-buffers", kMaxQueuedFrames, nullptr);
  gst_app_src_set_leaky_type(src_, GST_APP_LEAKY_TYPE_DOWNSTREAM);

  sink_ = gst_bin_get_by_name(GST_BIN(p), "sink");
  gst_object_unref(sink_);
  GstAppSinkCallbacks cbs{};
  cbs.new_sample = onSample;
  gst_app_sink_set_callbacks(GST_APP_SINK(sink_), &cbs, this, nullptr);
}

VideoEncoder::~VideoEncoder() {
  if (!stopped_) stop();
}

void VideoEncoder::start() {
  if (gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    throw ControlError(ErrorKind::Internal, "cannot start the encoder");
}

void VideoEncoder::stop() {
  {
    std::lock_guard lock(keyMu_);
    if (stopped_) return;
    stopped_ = true;
  }
  gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
}

void VideoEncoder::push(BufferPtr buf, const GstVideoInfo& info) noexcept {
  if (info.width != capsWidth_ || info.height != capsHeight_) {
    // A new publisher (or a resolution change mid-stream): renegotiate; the encoder restarts
    // with a keyframe.
    GstVideoInfo in = info;
    // A VP8 publisher's frames come out of vp8dec with framerate 0/1 (VP8 carries no frame rate;
    // H.264 has one in its SPS). x264enc takes 0/1 as variable frame rate, and x264 then holds
    // every frame until the next one arrives to learn its duration (b_vfr_input adds a frame of
    // delay): 33 ms at 30 fps, measured in docs/BENCHMARKS.md. A nominal rate keeps it at zero.
    if (codec_ == VideoCodec::H264 && (in.fps_n <= 0 || in.fps_d <= 0)) {
      in.fps_n = kNominalFps;
      in.fps_d = 1;
    }
    CapsPtr caps(gst_video_info_to_caps(&in));
    gst_app_src_set_caps(src_, caps.get());
    capsWidth_ = info.width;
    capsHeight_ = info.height;
  }
  if (gst_app_src_get_current_level_buffers(src_) >= kMaxQueuedFrames)
    dropped_.fetch_add(1, std::memory_order_relaxed);  // the leaky appsrc drops the oldest
  gst_app_src_push_buffer(src_, buf.release());        // appsrc takes the reference
}

void VideoEncoder::requestKeyframe(KeyframeScheduler::Urgency urgency) noexcept {
  KeyframeScheduler::Decision decision;
  {
    std::lock_guard lock(keyMu_);
    if (stopped_) return;
    decision = scheduler_.request(KeyframeScheduler::Clock::now(), urgency);
  }
  // The event is sent outside the lock: the streaming thread takes it in onSample().
  switch (decision.action) {
    case KeyframeScheduler::Decision::Action::ForceNow:
      forceKeyframe();
      return;
    case KeyframeScheduler::Decision::Action::Coalesced:
      return;
    case KeyframeScheduler::Decision::Action::Schedule:
      break;
  }
  loop_.after(decision.delay, [weak = weak_from_this(), timer = decision.timer] {
    auto self = weak.lock();
    if (!self) return;
    bool force = false;
    {
      std::lock_guard lock(self->keyMu_);
      force =
          !self->stopped_ && self->scheduler_.timerFired(KeyframeScheduler::Clock::now(), timer);
    }
    if (force) self->forceKeyframe();
  });
}

void VideoEncoder::forceKeyframe() {
  spdlog::debug("encoder {}: keyframe requested", toString(codec_));
  forced_.fetch_add(1, std::memory_order_relaxed);
  GstPtr<GstPad> pad(gst_element_get_static_pad(sink_, "sink"));
  gst_pad_push_event(pad.get(),
                     gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
}

GstFlowReturn VideoEncoder::onSample(GstAppSink* sink, gpointer data) {
  auto* self = static_cast<VideoEncoder*>(data);
  SamplePtr sample(gst_app_sink_pull_sample(sink));
  if (!sample) return GST_FLOW_EOS;
  GstBuffer* buf = gst_sample_get_buffer(sample.get());
  if (!buf) return GST_FLOW_OK;
  self->encoded_.fetch_add(1, std::memory_order_relaxed);
  self->bytesOut_.fetch_add(gst_buffer_get_size(buf), std::memory_order_relaxed);
  if (!GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT)) {
    // Before the fan-out: a request that comes in after this point is not served by this
    // keyframe (its viewer may not have been active when it went out), so it must not ride on it.
    std::lock_guard lock(self->keyMu_);
    self->scheduler_.keyframeEmitted(KeyframeScheduler::Clock::now());
    spdlog::debug("encoder {}: keyframe out", toString(self->codec_));
  }
  self->output_(sample.get());
  return GST_FLOW_OK;
}

}  // namespace cs
