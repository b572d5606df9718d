#include "stream/StreamPipeline.h"

#include <pthread.h>

#include <chrono>

#include "util/RateLimitedLog.h"

namespace cs {
namespace {

I420View viewOf(GstVideoFrame& f) {
  I420View v;
  v.width = GST_VIDEO_FRAME_WIDTH(&f);
  v.height = GST_VIDEO_FRAME_HEIGHT(&f);
  for (int p = 0; p < 3; ++p) {
    v.planes[p] = static_cast<uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&f, p));
    v.strides[p] = GST_VIDEO_FRAME_PLANE_STRIDE(&f, p);
  }
  return v;
}

}  // namespace

StreamPipeline::StreamPipeline(const std::string& streamId, Output output)
    : output_(std::move(output)) {
  worker_ = std::thread([this, name = "cs:" + streamId.substr(0, 12)] {
    pthread_setname_np(pthread_self(), name.c_str());
    run();
  });
}

StreamPipeline::~StreamPipeline() {
  mailbox_.close();
  if (worker_.joinable()) worker_.join();
  if (pool_) {
    gst_buffer_pool_set_active(pool_, FALSE);
    gst_object_unref(pool_);
  }
  if (caps_) gst_caps_unref(caps_);
}

void StreamPipeline::run() {
  while (SamplePtr sample = mailbox_.take()) processOne(sample.get());
}

bool StreamPipeline::configurePool(GstCaps* caps) noexcept {
  GstVideoInfo info;
  if (!gst_video_info_from_caps(&info, caps) || GST_VIDEO_INFO_FORMAT(&info) != GST_VIDEO_FORMAT_I420)
    return false;
  if (pool_) {
    gst_buffer_pool_set_active(pool_, FALSE);
    gst_object_unref(pool_);
    pool_ = nullptr;
  }
  pool_ = gst_video_buffer_pool_new();
  GstStructure* config = gst_buffer_pool_get_config(pool_);
  gst_buffer_pool_config_set_params(config, caps, static_cast<guint>(info.size), 2, 0);
  if (!gst_buffer_pool_set_config(pool_, config) || !gst_buffer_pool_set_active(pool_, TRUE)) {
    gst_object_unref(pool_);
    pool_ = nullptr;
    return false;
  }
  gst_caps_replace(&caps_, caps);
  info_ = info;
  width_.store(info.width, std::memory_order_relaxed);
  height_.store(info.height, std::memory_order_relaxed);
  return true;
}

void StreamPipeline::processOne(GstSample* sample) noexcept {
  GstCaps* caps = gst_sample_get_caps(sample);
  GstBuffer* in = gst_sample_get_buffer(sample);
  if (!caps || !in) return;
  if (caps != caps_ && (!caps_ || !gst_caps_is_equal(caps, caps_)) && !configurePool(caps)) {
    CS_LOG_LIMITED(spdlog::level::warn, "pipeline: cannot process frames with caps {}",
                   static_cast<const void*>(caps));
    return;
  }
  // Carry the ingest running time through processing: every pipeline of the stream shares the
  // clock and base time, so this keeps video aligned with the passed-through audio (P15).
  const GstSegment* seg = gst_sample_get_segment(sample);
  const GstClockTime rt =
      seg ? gst_segment_to_running_time(seg, GST_FORMAT_TIME, GST_BUFFER_PTS(in))
          : GST_BUFFER_PTS(in);

  const std::shared_ptr<FrameWorkflow> wf = workflow_.load();
  GstBuffer* out = nullptr;
  if (!wf || wf->passthrough()) {
    out = gst_buffer_ref(in);
    if (GST_BUFFER_PTS(out) != rt) {
      out = gst_buffer_make_writable(out);  // metadata only: the pixels are shared
      GST_BUFFER_PTS(out) = rt;
    }
  } else {
    if (gst_buffer_pool_acquire_buffer(pool_, &out, nullptr) != GST_FLOW_OK) {
      CS_LOG_LIMITED(spdlog::level::warn, "pipeline: no output buffer");
      return;
    }
    GstVideoFrame src, dst;
    if (!gst_video_frame_map(&src, &info_, in, GST_MAP_READ)) {
      gst_buffer_unref(out);
      return;
    }
    if (!gst_video_frame_map(&dst, &info_, out, GST_MAP_WRITE)) {
      gst_video_frame_unmap(&src);
      gst_buffer_unref(out);
      return;
    }
    const auto t0 = std::chrono::steady_clock::now();
    wf->process(viewOf(src), viewOf(dst));
    lastProcessUs_.store(std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::steady_clock::now() - t0)
                             .count(),
                         std::memory_order_relaxed);
    gst_video_frame_unmap(&dst);
    gst_video_frame_unmap(&src);
    GST_BUFFER_PTS(out) = rt;
    GST_BUFFER_DURATION(out) = GST_BUFFER_DURATION(in);
  }
  processed_.fetch_add(1, std::memory_order_relaxed);
  output_(out, info_);
}

}  // namespace cs
