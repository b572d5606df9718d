#pragma once
// A trickle stream's publisher: the MPEG-TS bytes of a subscribed trickle channel in, decoded
// I420 video and Opus audio out to its Stream (Publisher::Listener), like a WHIP publisher
// (rtc/IngestPeer) but for a byte stream. Its pipeline:
//   appsrc (bytes, bounded) ! tsdemux ! queue ! h264parse ! avdec_h264 ! videoconvert !
//     videoscale ! I420 [w×h] ! appsink            (video)
//   tsdemux ! queue ! appsink                      (Opus: passed through as packets)
//   tsdemux ! queue ! aacparse ! avdec_aac ! audioconvert ! audioresample ! opusenc ! appsink
//                                                  (AAC: the stream and its viewers carry Opus)
// Timestamps: the input's own times, mapped onto the stream's running time with one offset
// shared by audio and video (so A/V sync is kept), anchored when the first frame is demuxed (a
// frame's time ≈ when it arrived) and re-anchored when the input jumps (see mapLocked()).
// push() is the subscriber's thread and never blocks: past maxQueuedBytes the bytes are dropped
// and counted (tsdemux resyncs on the next packet header; the decoder conceals until the next
// keyframe). Garbage is counted by the demuxer and decoder and never stops the pipeline.
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "stream/Publisher.h"
#include "trickle/FrameArrivals.h"
#include "util/GstPtr.h"
#include "util/MainLoop.h"

namespace cs {
class Stream;
}

namespace cs::trickle {

class TrickleIngest final : public Publisher, public std::enable_shared_from_this<TrickleIngest> {
 public:
  struct Options {
    double maxFramerate = 0;    // 0: no cap; else a pacer drops decoded frames above it (counted)
    int width = 0, height = 0;  // 0: as decoded; else scaled to this
    size_t maxQueuedBytes = 8u << 20;
    std::shared_ptr<FrameArrivals> arrivals;  // optional: each demuxed video frame's arrival
    // The owner watches the input channel for stalls itself (the live worker allows 60 s, a
    // gateway may pause): lastActivity() then reports "now" while the pipeline runs, so the
    // registry's 10 s silence watchdog leaves this publisher alone.
    bool ownerWatchesInput = false;
  };

  // Builds the pipeline (control plane; throws ControlError(Internal)). The stream receives the
  // frames and outlives nothing here: it is held.
  TrickleIngest(SessionInfo info, Options opts, std::shared_ptr<Stream> stream, MainLoop& loop);
  ~TrickleIngest() override;

  // Starts the pipeline. Control plane; throws ControlError(Internal).
  void start();
  // The channel's bytes as they arrive (the subscriber's thread). Never blocks, never throws.
  void push(const uint8_t* data, size_t size) noexcept;
  // The input channel ended: EOS through the pipeline (what is queued is still decoded); the
  // session then ends by itself ("input ended").
  void endOfInput() noexcept;
  // Parameter updates (/stream/params), any thread, applied to the next frames.
  void setMaxFramerate(double fps) noexcept;
  void setSize(int width, int height) noexcept;

  // Session/Publisher.
  ConnectionState state() const override;
  // The last byte pushed or frame decoded (see Options::ownerWatchesInput).
  std::chrono::steady_clock::time_point lastActivity() const override;
  void stop() override;  // main loop only, idempotent
  PublisherStats stats() const override;

  struct Figures {
    uint64_t bytes = 0;          // pushed and taken
    uint64_t framesDemuxed = 0;  // video access units out of the demuxer
    uint64_t framesDecoded = 0;  // before the pacer
    uint64_t framesPaced = 0;    // dropped by max_framerate
    uint64_t bytesDropped = 0;   // past maxQueuedBytes, or before start / after stop
    uint64_t audioPackets = 0;   // Opus packets handed to the stream
    uint64_t reanchors = 0;      // the input's times jumped or stalled: mapped anew
    int width = 0, height = 0;   // of the last frame handed on
    std::string audioCodec;      // "opus", "aac", or empty (none seen)
  };
  Figures figures() const;

 private:
  enum class Media { Video, Audio };
  void build();
  void linkDemuxPad(GstPad* pad);
  void applySizeCaps() noexcept;
  // The stream running time of an input running time; re-anchors on jumps. mapMu_ held.
  GstClockTime mapLocked(GstClockTime inputRt, Media media) noexcept;
  GstClockTime streamNow() const noexcept;
  SamplePtr restamp(GstSample* sample, bool video) noexcept;
  bool paceLocked(GstClockTime pts) noexcept;
  void touch() noexcept;
  void fail(const std::string& reason) noexcept;
  static void onPadAdded(GstElement*, GstPad* pad, gpointer self);
  static GstPadProbeReturn onDemuxed(GstPad*, GstPadProbeInfo*, gpointer self);
  static GstPadProbeReturn onVideoCaps(GstPad*, GstPadProbeInfo*, gpointer);
  static GstFlowReturn onVideoSample(GstAppSink*, gpointer self);
  static GstFlowReturn onAudioSample(GstAppSink*, gpointer self);
  static GstBusSyncReply onBusMessage(GstBus*, GstMessage*, gpointer self);

  Options opts_;
  std::shared_ptr<Stream> stream_;
  MainLoop& loop_;
  const GstClockTime baseTime_;
  ElementPtr pipeline_;
  GstAppSrc* src_ = nullptr;          // owned by the pipeline
  GstElement* sizeFilter_ = nullptr;  // owned by the pipeline; set when the video branch is built
  GstClock* clock_ = nullptr;         // the system clock (a singleton, held by pipeline_)

  // The input→stream time mapping, shared by the demuxer's pads.
  std::mutex mapMu_;
  bool anchored_ = false;
  GstClockTimeDiff offset_ = 0;  // stream running time − input running time
  GstClockTime lastInput_ = GST_CLOCK_TIME_NONE;
  GstClockTime lastOutput_ = 0;
  std::atomic<uint64_t> reanchors_{0};

  // The pacer (video appsink thread).
  std::mutex paceMu_;
  double maxFps_ = 0;
  GstClockTime nextDue_ = GST_CLOCK_TIME_NONE;

  std::mutex sizeMu_;
  int width_ = 0, height_ = 0;  // requested output size (0: as decoded)

  std::atomic<bool> running_{false};
  std::atomic<bool> failed_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<bool> hasVideo_{false}, hasAudio_{false};
  std::atomic<uint64_t> framesDemuxed_{0};
  std::atomic<uint64_t> bytes_{0}, bytesDropped_{0}, framesDecoded_{0}, framesPaced_{0},
      framesOut_{0}, audioPackets_{0};
  std::atomic<int> outWidth_{0}, outHeight_{0};
  std::atomic<int64_t> lastActivityNs_;
  mutable std::mutex codecMu_;
  std::string audioCodec_;
};

}  // namespace cs::trickle
