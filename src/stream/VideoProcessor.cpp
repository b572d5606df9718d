#include "stream/VideoProcessor.h"

#include "media/RunningTime.h"

#include <pthread.h>

#include <chrono>

#include "media/GstVideoView.h"
#include "util/RateLimitedLog.h"

namespace cs {

VideoProcessor::VideoProcessor(const std::string& streamId, Output output, TextOutput text)
    : output_(std::move(output)), text_(std::move(text)) {
  worker_ = std::thread([this, name = "cs:" + streamId.substr(0, 12)] {
    pthread_setname_np(pthread_self(), name.c_str());
    run();
  });
}

VideoProcessor::~VideoProcessor() {
  stop();
  if (pool_) {
    gst_buffer_pool_set_active(pool_, FALSE);
    gst_object_unref(pool_);
  }
  if (inCaps_) gst_caps_unref(inCaps_);
}

void VideoProcessor::stop() {
  mailbox_.close();
  if (worker_.joinable()) worker_.join();
}

void VideoProcessor::run() {
  while (SamplePtr sample = mailbox_.take()) {
    processOne(sample.get());
    std::lock_guard lock(lastMu_);
    last_ = std::move(sample);  // the previous one is released here, off the media hot path
  }
}

SamplePtr VideoProcessor::lastInput() const {
  std::lock_guard lock(lastMu_);
  return last_ ? SamplePtr(gst_sample_ref(last_.get())) : nullptr;
}

bool VideoProcessor::configureOutput(int width, int height) noexcept {
  if (pool_ && outInfo_.width == width && outInfo_.height == height) return true;
  if (pool_) {
    gst_buffer_pool_set_active(pool_, FALSE);
    gst_object_unref(pool_);
    pool_ = nullptr;
  }
  gst_video_info_set_format(&outInfo_, GST_VIDEO_FORMAT_I420, static_cast<guint>(width),
                            static_cast<guint>(height));
  outInfo_.fps_n = inInfo_.fps_n;
  outInfo_.fps_d = inInfo_.fps_d;
  CapsPtr caps(gst_video_info_to_caps(&outInfo_));
  pool_ = gst_video_buffer_pool_new();
  GstStructure* config = gst_buffer_pool_get_config(pool_);
  gst_buffer_pool_config_set_params(config, caps.get(), static_cast<guint>(outInfo_.size), 2, 0);
  if (!gst_buffer_pool_set_config(pool_, config) || !gst_buffer_pool_set_active(pool_, TRUE)) {
    gst_object_unref(pool_);
    pool_ = nullptr;
    return false;
  }
  width_.store(width, std::memory_order_relaxed);
  height_.store(height, std::memory_order_relaxed);
  return true;
}

void VideoProcessor::forward(GstBuffer* in, GstClockTime rt) noexcept {
  BufferPtr out(gst_buffer_ref(in));
  if (GST_BUFFER_PTS(out.get()) != rt) {
    out.reset(gst_buffer_make_writable(out.release()));  // metadata only: the pixels are shared
    GST_BUFFER_PTS(out.get()) = rt;
  }
  width_.store(inInfo_.width, std::memory_order_relaxed);
  height_.store(inInfo_.height, std::memory_order_relaxed);
  processed_.fetch_add(1, std::memory_order_relaxed);
  output_(std::move(out), inInfo_);
}

void VideoProcessor::processOne(GstSample* sample) noexcept {
  GstCaps* caps = gst_sample_get_caps(sample);
  GstBuffer* in = gst_sample_get_buffer(sample);
  if (!caps || !in) return;
  if (caps != inCaps_ && (!inCaps_ || !gst_caps_is_equal(caps, inCaps_))) {
    GstVideoInfo info;
    if (!gst_video_info_from_caps(&info, caps) ||
        GST_VIDEO_INFO_FORMAT(&info) != GST_VIDEO_FORMAT_I420) {
      CS_LOG_LIMITED(spdlog::level::warn, "pipeline: cannot process frames that are not I420");
      return;
    }
    inInfo_ = info;
    gst_caps_replace(&inCaps_, caps);
  }
  // Carry the ingest running time through processing: every pipeline of the stream shares the
  // clock and base time, so this keeps video aligned with the passed-through audio
  // (docs/GSTREAMER-NOTES.md §G13).
  const GstClockTime rt = runningTimeOf(sample);

  const std::shared_ptr<FrameWorkflow> wf = workflow_.load();
  if (wf) {
    // Text may come from audio graphs too, which do not run here.
    wf->takeText(texts_);
    if (!texts_.empty()) {
      if (text_) text_(texts_);
      texts_.clear();
    }
  }
  if (!wf || wf->passthrough() || paused()) return forward(in, rt);

  GstVideoFrame src;
  if (!gst_video_frame_map(&src, &inInfo_, in, GST_MAP_READ)) return;
  const auto t0 = std::chrono::steady_clock::now();
  const FrameResult result = wf->run(viewOf(src));
  if (result.kind != FrameResult::Kind::Picture) {
    gst_video_frame_unmap(&src);
    if (result.kind == FrameResult::Kind::Forward) return forward(in, rt);
    failed_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  GstBuffer* acquired = nullptr;
  if (!configureOutput(result.width, result.height) ||
      gst_buffer_pool_acquire_buffer(pool_, &acquired, nullptr) != GST_FLOW_OK) {
    gst_video_frame_unmap(&src);
    CS_LOG_LIMITED(spdlog::level::warn, "pipeline: no output buffer");
    return;
  }
  BufferPtr out(acquired);
  GstVideoFrame dst;
  if (gst_video_frame_map(&dst, &outInfo_, out.get(), GST_MAP_WRITE)) {
    wf->write(viewOf(dst));
    gst_video_frame_unmap(&dst);
  }
  gst_video_frame_unmap(&src);
  lastProcessUs_.store(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
          .count(),
      std::memory_order_relaxed);
  GST_BUFFER_PTS(out.get()) = rt;
  GST_BUFFER_DURATION(out.get()) = GST_BUFFER_DURATION(in);
  processed_.fetch_add(1, std::memory_order_relaxed);
  output_(std::move(out), outInfo_);
}

}  // namespace cs
