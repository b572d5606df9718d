#pragma once
// One encoder per codec per stream: raw processed frames in, encoded access units out to every
// viewer of that codec (encode once, fan out the same buffers).
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>

#include "media/KeyframeScheduler.h"
#include "media/VideoCodec.h"
#include "util/GstPtr.h"
#include "util/MainLoop.h"

namespace cs {

class VideoEncoder : public std::enable_shared_from_this<VideoEncoder> {
 public:
  // Called on the encoder's streaming thread with a borrowed sample.
  using Output = std::function<void(GstSample*)>;

  VideoEncoder(VideoCodec codec, unsigned bitrate, GstClockTime baseTime, MainLoop& loop,
               Output output);
  ~VideoEncoder();

  void start();
  void stop();  // main loop only

  // Hot path from the pipeline worker. Keeps at most two frames queued;
  // past that the oldest is dropped (and counted) so latency stays bounded.
  void push(BufferPtr buf, const GstVideoInfo& info) noexcept;
  // Coalesced by a KeyframeScheduler (docs/GSTREAMER-NOTES.md §G9): many viewers asking at once
  // cause one keyframe; a request inside the spacing is scheduled at its end, never dropped.
  void requestKeyframe(
      KeyframeScheduler::Urgency urgency = KeyframeScheduler::Urgency::Recovery) noexcept;

  VideoCodec codec() const { return codec_; }
  uint64_t framesDropped() const { return dropped_.load(std::memory_order_relaxed); }
  uint64_t framesEncoded() const { return encoded_.load(std::memory_order_relaxed); }
  uint64_t keyframesForced() const { return forced_.load(std::memory_order_relaxed); }
  // Encoded bytes handed to the viewers (each access unit once, however many viewers take it).
  uint64_t bytesEncoded() const { return bytesOut_.load(std::memory_order_relaxed); }

 private:
  static GstFlowReturn onSample(GstAppSink*, gpointer self);
  void forceKeyframe();

  const VideoCodec codec_;
  MainLoop& loop_;
  Output output_;
  ElementPtr pipeline_;
  GstAppSrc* src_ = nullptr;
  GstElement* sink_ = nullptr;
  int capsWidth_ = 0, capsHeight_ = 0;  // worker thread only
  std::mutex keyMu_;
  KeyframeScheduler scheduler_;  // under keyMu_
  bool stopped_ = false;
  std::atomic<uint64_t> dropped_{0}, encoded_{0}, forced_{0};
  std::atomic<uint64_t> bytesOut_{0};
};

}  // namespace cs
