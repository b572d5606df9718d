#pragma once
// A trickle stream's output: a viewer of its stream that muxes the stream's H.264 (the shared
// encoder's access units, not re-encoded) and Opus packets into MPEG-TS and hands the bytes to a
// SegmentSink (trickle/TricklePublisher) one segment at a time. Its pipeline:
//   appsrc (H.264 AUs) ! mpegtsmux ! fakesink      (each output buffer → sink->write())
//   appsrc (Opus)      ! mpegtsmux
// Every segment decodes alone: it begins with PAT/PMT and a keyframe (SPS/PPS in-band, the
// encoder's config-interval=-1). A new segment begins at the first keyframe at or after
// segmentLength since the last began; when the length is reached a keyframe is asked for, so
// segments stay near the length even with the encoder's 2 s GOP. A frame's TS packets are
// written as soon as it is muxed, not at the segment's end; 1.22's mpegtsmux muxes a frame once
// audio at or after it is queued (docs/GSTREAMER-NOTES.md §G20), normally at once since audio
// bypasses the workflow, and a missing audio track is filled with Opus silence. Like the
// recorder, it never blocks the stream: a frame it cannot take is dropped and counted, and it
// resumes on a keyframe. stats() reports it as ViewerKind::Trickle.
#include <gst/app/gstappsrc.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

#include "media/LatencyHistogram.h"
#include "media/LatencyTracker.h"
#include "stream/Viewer.h"
#include "trickle/FrameArrivals.h"
#include "trickle/SegmentSink.h"
#include "util/GstPtr.h"
#include "util/MainLoop.h"

namespace cs::trickle {

class TrickleEgress final : public Viewer, public std::enable_shared_from_this<TrickleEgress> {
 public:
  struct Options {
    std::chrono::milliseconds segmentLength{1000};
    bool withAudio = true;
    // Asks the stream's H.264 encoder for a keyframe: at start, when a segment reaches its
    // length, after a drop. Any thread; must not block.
    std::function<void()> requestKeyframe;
    // Optional: the ingest's arrival times, for the worker latency (figures().workerLatency).
    std::shared_ptr<FrameArrivals> arrivals;
  };

  // Builds the pipeline. Control plane; throws ControlError(Internal).
  TrickleEgress(SessionInfo info, Options opts, std::shared_ptr<SegmentSink> sink, MainLoop& loop);
  ~TrickleEgress() override;

  // Starts the pipeline and asks for a keyframe. Control plane; throws ControlError(Internal).
  void start();
  // Main loop: stops taking media, sends EOS so the muxer writes what it holds, completes the
  // last segment (sink->endSegment()), tears the pipeline down and calls done() on the main
  // loop. A muxer that has not finished within kFinishTimeout is stopped anyway (done() still
  // comes, once).
  void finish(std::function<void()> done);
  static constexpr auto kFinishTimeout = std::chrono::seconds(3);
  // Main loop, idempotent, no flush: what the muxer holds is lost. An open segment is completed
  // (sink->endSegment()) so the sink's request ends.
  void stop() override;

  // Viewer.
  std::optional<VideoCodec> videoCodec() const override { return VideoCodec::H264; }
  bool takesAudio() const override { return opts_.withAudio; }
  void onVideo(GstSample* encoded) noexcept override;
  void onAudio(GstSample* opus) noexcept override;
  ConnectionState state() const override;
  // Its peer is the sink's (the publisher watches its own requests): never silent here.
  std::chrono::steady_clock::time_point lastActivity() const override {
    return std::chrono::steady_clock::now();
  }
  ViewerStats stats() const override;

  struct Figures {
    uint64_t segments = 0;
    uint64_t framesWritten = 0;  // video frames handed to the muxer (counted as they enter it)
    uint64_t framesDropped = 0;
    uint64_t bytes = 0;  // written to the sink
    // Per frame written: when the muxer took it − when the ingest demuxed its input (needs
    // opts.arrivals; frames the ingest did not see, or that aged out of it, are not counted).
    LatencyHistogram::Snapshot workerLatency;
    LatencyTracker::Summary workerLatencyRecent;  // p50/p95 of the last 600 frames
    uint64_t silencePackets =
        0;  // 20 ms of Opus silence each, where the stream's audio was missing
  };
  Figures figures() const;

 private:
  void build();
  void teardown();  // main loop: pipeline to NULL, the open segment completed
  void completeFinish();
  void fail(const std::string& reason) noexcept;
  void askKeyframe() noexcept;
  static GstPadProbeReturn onVideoOut(GstPad*, GstPadProbeInfo*, gpointer self);
  static GstPadProbeReturn onMuxVideoIn(GstPad*, GstPadProbeInfo*, gpointer self);
  static void onMuxVideoConsumed(GstElement* pad, GstBuffer* buf, gpointer self);
  static GstPadProbeReturn onMuxOutput(GstPad*, GstPadProbeInfo*, gpointer self);
  static GstBusSyncReply onBusMessage(GstBus*, GstMessage*, gpointer self);
  void writeBuffer(GstBuffer* buf) noexcept;
  bool pushAudioLocked(GstBuffer* out, GstClockTime pts, GstClockTime duration) noexcept;
  void fillAudioGapLocked(GstClockTime videoPts) noexcept;

  const Options opts_;
  std::shared_ptr<SegmentSink> sink_;
  MainLoop& loop_;
  ElementPtr pipeline_;
  GstAppSrc* videoSrc_ = nullptr;  // owned by the pipeline
  GstAppSrc* audioSrc_ = nullptr;

  // The stream's threads (onVideo/onAudio).
  std::mutex mediaMu_;
  bool haveStart_ = false;  // the first keyframe was taken
  bool needKeyframe_ = true;
  GstClockTime firstVideo_ = GST_CLOCK_TIME_NONE;
  GstClockTime lastRealAudio_ = GST_CLOCK_TIME_NONE;
  GstClockTime audioEnd_ = 0;  // end of the last audio queued (real or silence)
  std::deque<std::pair<GstClockTime, BufferPtr>> pendingAudio_;  // before the first keyframe

  // The video appsrc's streaming thread: where segments are cut.
  GstClockTime segmentStart_ = GST_CLOCK_TIME_NONE;
  bool keyframeAsked_ = false;
  unsigned keyUnitCount_ = 0;

  // The muxer's output thread.
  bool segmentOpen_ = false;  // also read by teardown() after the threads are joined

  std::atomic<bool> accepting_{false};
  std::atomic<bool> failed_{false};
  std::atomic<uint64_t> segments_{0}, framesWritten_{0}, framesDropped_{0}, bytes_{0},
      silencePackets_{0};
  LatencyTracker workerLatency_;

  // Lifecycle: changed on the main loop only, read by state() from any thread.
  std::atomic<bool> started_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<bool> finishing_{false};
  std::function<void()> done_;
};

}  // namespace cs::trickle
