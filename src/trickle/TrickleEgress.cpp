#include "trickle/TrickleEgress.h"

#include <gst/video/video.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "media/PipelineLaunch.h"
#include "media/RunningTime.h"
#include "util/ControlError.h"
#include "util/LogEscape.h"
#include "util/RateLimitedLog.h"

namespace cs::trickle {
namespace {

// How far the muxer may fall behind before frames are dropped: well over a segment, so a
// scheduling hiccup costs nothing and a stuck muxer costs bounded memory (the buffers are the
// encoder's own, shared with the other viewers).
constexpr guint64 kMaxQueuedVideo = 60;
constexpr guint64 kMaxQueuedAudio = 100;
constexpr guint64 kMaxQueuedBytes = 8 << 20;
// Audio kept while waiting for the first keyframe: more than audio is ever ahead of video.
constexpr size_t kMaxPendingAudio = 25;

// mpegtsmux (1.22) is an aggregator without a next-time of its own (§G20), so even with live inputs
// it waits until every pad holds data and then writes the earliest: a video frame at t goes out
// once an audio packet at or after t is queued. Audio bypasses the workflow, so normally it is
// queued already and the video is never held (the audio waits for its video instead: that is
// the A/V sync). When the stream's audio is missing for kAudioStall of video time (a publisher
// without audio, a stalled audio path), Opus silence fills the gap up to just past each frame,
// so a missing track costs the video kAudioStall once, then nothing. Late real audio behind the
// silence is dropped.
constexpr GstClockTime kAudioStall = 250 * GST_MSECOND;
constexpr GstClockTime kMaxSilence = 2 * GST_SECOND;
constexpr GstClockTime kOpusFrame = 20 * GST_MSECOND;
// One 20 ms CELT fullband frame of silence (TOC 0xF8: config 31, mono, one frame), as the
// recorder's; every Opus decoder takes a mono packet in a stereo stream.
constexpr guint8 kOpusSilence[] = {0xF8, 0xFF, 0xFE};

constexpr const char* kVideoCaps = "video/x-h264,stream-format=byte-stream,alignment=au";
// The stream's Opus: WebRTC's channel-mapping family 0 at 48 kHz; stereo covers mono packets
// (as in the recorder). mpegtsmux needs the channel count for its Opus descriptor.
constexpr const char* kAudioCaps =
    "audio/x-opus,channel-mapping-family=(int)0,channels=(int)2,rate=(int)48000";

}  // namespace

TrickleEgress::TrickleEgress(SessionInfo info, Options opts, std::shared_ptr<SegmentSink> sink,
                             MainLoop& loop)
    : Viewer(std::move(info)), opts_(std::move(opts)), sink_(std::move(sink)), loop_(loop) {
  build();
}

TrickleEgress::~TrickleEgress() {
  // Owners stop on the main loop first; this is the last-resort path (a failed start).
  if (pipeline_ && !stopped_) {
    gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
    GstPtr<GstBus> bus(gst_element_get_bus(pipeline_.get()));
    gst_bus_set_sync_handler(bus.get(), nullptr, nullptr, nullptr);
  }
}

void TrickleEgress::build() {
  // No queues: each appsrc pushes from its own streaming thread into the muxer, whose output
  // thread writes to the sink. fakesink: the bytes are taken by a probe on its pad, in order
  // with the events that mark the segments.
  std::string desc = std::string("appsrc name=video caps=\"") + kVideoCaps +
                     "\" ! mpegtsmux name=mux ! fakesink name=out sync=false async=false";
  if (opts_.withAudio) desc += std::string(" appsrc name=audio caps=\"") + kAudioCaps + "\" ! mux.";
  pipeline_ = launchPipeline(desc, "the trickle egress");
  GstElement* p = pipeline_.get();
  // An aggregator that knows its next output time (mpegtsmux after 1.22 may) waits for a pad
  // without data only until the clock passes the other pads' running time plus its latency
  // (0). The frames' times are the stream's running times; on the system clock with base time 0
  // the pipeline's running time is the clock's (far ahead of any stream time), so that moment
  // has always passed and such a muxer never waits. 1.22's waits for data on every pad instead:
  // see kAudioStall.
  GstClock* clock = gst_system_clock_obtain();
  gst_pipeline_use_clock(GST_PIPELINE(p), clock);
  gst_object_unref(clock);
  gst_element_set_start_time(p, GST_CLOCK_TIME_NONE);
  gst_element_set_base_time(p, 0);

  const auto configureSource = [&](const char* name, guint64 maxBuffers) {
    GstPtr<GstElement> src(gst_bin_get_by_name(GST_BIN(p), name));
    g_object_set(src.get(), "is-live", TRUE, "format", GST_FORMAT_TIME, "do-timestamp", FALSE,
                 "block", FALSE, "max-buffers", maxBuffers, "max-bytes", kMaxQueuedBytes,
                 "max-time", guint64(0), nullptr);
    // A safety net only: onVideo/onAudio check the level first and drop the newest themselves.
    gst_app_src_set_leaky_type(GST_APP_SRC(src.get()), GST_APP_LEAKY_TYPE_DOWNSTREAM);
    return GST_APP_SRC(src.get());  // the pipeline keeps it alive
  };
  videoSrc_ = configureSource("video", kMaxQueuedVideo + 1);
  if (opts_.withAudio) audioSrc_ = configureSource("audio", kMaxQueuedAudio + 1);

  GstPtr<GstPad> videoOut(gst_element_get_static_pad(GST_ELEMENT(videoSrc_), "src"));
  gst_pad_add_probe(videoOut.get(), GST_PAD_PROBE_TYPE_BUFFER, onVideoOut, this, nullptr);
  GstPtr<GstPad> muxVideo(gst_pad_get_peer(videoOut.get()));
  gst_pad_add_probe(muxVideo.get(), GST_PAD_PROBE_TYPE_BUFFER, onMuxVideoIn, this, nullptr);
  // A GstAggregatorPad (1.16+): tells when the muxer takes a buffer off it.
  g_object_set(muxVideo.get(), "emit-signals", TRUE, nullptr);
  g_signal_connect(muxVideo.get(), "buffer-consumed", G_CALLBACK(onMuxVideoConsumed), this);

  GstPtr<GstElement> out(gst_bin_get_by_name(GST_BIN(p), "out"));
  GstPtr<GstPad> outPad(gst_element_get_static_pad(out.get(), "sink"));
  gst_pad_add_probe(outPad.get(),
                    GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST |
                                    GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
                    onMuxOutput, this, nullptr);

  GstPtr<GstBus> bus(gst_element_get_bus(p));
  gst_bus_set_sync_handler(bus.get(), onBusMessage, this, nullptr);
}

void TrickleEgress::start() {
  if (started_) return;
  started_ = true;
  if (gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    throw ControlError(ErrorKind::Internal,
                       "cannot start the trickle egress of stream '" + logSafe(streamId()) + "'");
  accepting_.store(true, std::memory_order_release);
  askKeyframe();
}

void TrickleEgress::askKeyframe() noexcept {
  if (opts_.requestKeyframe) opts_.requestKeyframe();
}

void TrickleEgress::onVideo(GstSample* sample) noexcept {
  if (!accepting_.load(std::memory_order_acquire)) return;
  GstBuffer* buf = gst_sample_get_buffer(sample);
  const GstClockTime rt = runningTimeOf(sample);
  if (!buf || !GST_CLOCK_TIME_IS_VALID(rt)) {
    framesDropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const bool keyframe = !GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
  bool ask = false;
  {
    std::lock_guard lock(mediaMu_);
    // The output starts on a keyframe (start() asked for one): the frames before it cannot be
    // decoded.
    if (!haveStart_ && !keyframe) return;
    if (needKeyframe_ && !keyframe) {
      framesDropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (gst_app_src_get_current_level_buffers(videoSrc_) >= kMaxQueuedVideo ||
        gst_app_src_get_current_level_bytes(videoSrc_) >= kMaxQueuedBytes) {
      // The muxer is behind. Drop the newest and resume on a keyframe: a delta frame after a
      // hole would decode to garbage.
      framesDropped_.fetch_add(1, std::memory_order_relaxed);
      ask = !needKeyframe_;
      needKeyframe_ = true;
    } else {
      haveStart_ = true;
      needKeyframe_ = false;
      // A new buffer sharing the encoder's memory (no copy), at the stream's running time: the
      // arrivals are keyed by it.
      GstBuffer* out = gst_buffer_copy(buf);
      GST_BUFFER_PTS(out) = rt;
      GST_BUFFER_DTS(out) = rt;  // the stream's encoders make no B-frames
      gst_app_src_push_buffer(videoSrc_, out);
      if (!GST_CLOCK_TIME_IS_VALID(firstVideo_)) {
        firstVideo_ = rt;
        // The audio that came ahead of the first keyframe (it bypasses the workflow): what is
        // at or after it belongs to the first segment, and lets the muxer take the keyframe now.
        for (auto& [pts, b] : pendingAudio_) {
          if (pts < rt) continue;
          const GstClockTime duration = GST_BUFFER_DURATION(b.get());
          pushAudioLocked(b.release(), pts, duration);
          lastRealAudio_ = pts;
        }
        pendingAudio_.clear();
      }
      if (audioSrc_) fillAudioGapLocked(rt);
    }
  }
  if (ask) {
    CS_LOG_LIMITED(spdlog::level::warn, "trickle egress {}: muxer behind, dropping video", id());
    askKeyframe();
  }
}

void TrickleEgress::onAudio(GstSample* sample) noexcept {
  if (!audioSrc_ || !accepting_.load(std::memory_order_acquire)) return;
  GstBuffer* buf = gst_sample_get_buffer(sample);
  const GstClockTime rt = runningTimeOf(sample);
  if (!buf || !GST_CLOCK_TIME_IS_VALID(rt)) return;
  std::lock_guard lock(mediaMu_);
  const GstClockTime d = GST_BUFFER_DURATION(buf);
  if (!haveStart_) {
    // Before the first keyframe: kept (the latest few) until it comes, since the muxer will
    // not take the keyframe before audio at or after it is queued.
    if (pendingAudio_.size() >= kMaxPendingAudio) pendingAudio_.pop_front();
    BufferPtr copy(gst_buffer_copy(buf));
    GST_BUFFER_DURATION(copy.get()) = GST_CLOCK_TIME_IS_VALID(d) ? d : kOpusFrame;
    pendingAudio_.emplace_back(rt, std::move(copy));
    return;
  }
  lastRealAudio_ = rt;
  // Behind the silence already queued for this time: the track must not go back.
  if (rt < audioEnd_) return;
  pushAudioLocked(gst_buffer_copy(buf), rt, GST_CLOCK_TIME_IS_VALID(d) ? d : kOpusFrame);
}

bool TrickleEgress::pushAudioLocked(GstBuffer* out, GstClockTime pts,
                                    GstClockTime duration) noexcept {
  if (gst_app_src_get_current_level_buffers(audioSrc_) >= kMaxQueuedAudio) {
    gst_buffer_unref(out);
    CS_LOG_LIMITED(spdlog::level::warn, "trickle egress {}: muxer behind, dropping audio", id());
    return false;
  }
  GST_BUFFER_PTS(out) = pts;
  GST_BUFFER_DTS(out) = pts;
  GST_BUFFER_DURATION(out) = duration;
  gst_app_src_push_buffer(audioSrc_, out);
  audioEnd_ = pts + duration;
  return true;
}

void TrickleEgress::fillAudioGapLocked(GstClockTime videoPts) noexcept {
  // Real audio within kAudioStall: it is only late, and the muxer waits for it (A/V sync).
  const GstClockTime lastAudio =
      GST_CLOCK_TIME_IS_VALID(lastRealAudio_) ? lastRealAudio_ : firstVideo_;
  if (videoPts < lastAudio + kAudioStall) return;
  const GstClockTime until = videoPts + kOpusFrame;
  GstClockTime t = std::max(audioEnd_, until > kMaxSilence ? until - kMaxSilence : 0);
  uint64_t n = 0;
  for (; t < until; t += kOpusFrame) {
    GstBuffer* b =
        gst_buffer_new_wrapped_full(GST_MEMORY_FLAG_READONLY, const_cast<guint8*>(kOpusSilence),
                                    sizeof kOpusSilence, 0, sizeof kOpusSilence, nullptr, nullptr);
    if (!pushAudioLocked(b, t, kOpusFrame)) break;
    ++n;
  }
  silencePackets_.fetch_add(n, std::memory_order_relaxed);
}

// The video appsrc's streaming thread, each frame on its way into the muxer: where a segment is
// cut. A keyframe that begins a segment is preceded by a downstream force-key-unit event with
// all-headers: mpegtsmux (1.22, as hlssink relies on; §G21) then writes PAT and PMT again
// right before that keyframe's packets, and passes the event on, so the output probe knows
// where the new segment begins.
GstPadProbeReturn TrickleEgress::onVideoOut(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  auto* self = static_cast<TrickleEgress*>(data);
  GstBuffer* buf = GST_PAD_PROBE_INFO_BUFFER(info);
  const GstClockTime pts = GST_BUFFER_PTS(buf);
  const bool keyframe = !GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
  const auto length = static_cast<GstClockTime>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(self->opts_.segmentLength).count());
  const bool first = !GST_CLOCK_TIME_IS_VALID(self->segmentStart_);
  const bool due = !first && pts >= self->segmentStart_ + length;
  if (keyframe && (first || due)) {
    self->segmentStart_ = pts;
    self->keyframeAsked_ = false;
    gst_pad_push_event(pad, gst_video_event_new_downstream_force_key_unit(pts, pts, pts, TRUE,
                                                                          ++self->keyUnitCount_));
  } else if (due && !self->keyframeAsked_) {
    // The length is reached: the next keyframe cuts, and the encoder is asked for one now
    // rather than at its next GOP (up to 2 s).
    self->keyframeAsked_ = true;
    self->askKeyframe();
  }
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn TrickleEgress::onMuxVideoIn(GstPad*, GstPadProbeInfo*, gpointer data) {
  static_cast<TrickleEgress*>(data)->framesWritten_.fetch_add(1, std::memory_order_relaxed);
  return GST_PAD_PROBE_OK;
}

// The muxer takes the frame off its pad to write its packets (they go to the sink within the
// same call): the frame leaves now, after any wait for audio (§G20).
void TrickleEgress::onMuxVideoConsumed(GstElement*, GstBuffer* buf, gpointer data) {
  auto* self = static_cast<TrickleEgress*>(data);
  if (!self->opts_.arrivals || !buf) return;
  if (auto at = self->opts_.arrivals->take(GST_BUFFER_PTS(buf)))
    self->workerLatency_.addSample(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - *at)
            .count());
}

void TrickleEgress::writeBuffer(GstBuffer* buf) noexcept {
  // Bytes before the first segment (none in practice: media is taken from the first keyframe
  // on) would not begin with PAT/PMT and a keyframe: they are not sent.
  if (!segmentOpen_) return;
  GstMapInfo map;
  if (!gst_buffer_map(buf, &map, GST_MAP_READ)) return;
  sink_->write(map.data, map.size);
  bytes_.fetch_add(map.size, std::memory_order_relaxed);
  gst_buffer_unmap(buf, &map);
}

GstPadProbeReturn TrickleEgress::onMuxOutput(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* self = static_cast<TrickleEgress*>(data);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    self->writeBuffer(GST_PAD_PROBE_INFO_BUFFER(info));
  } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList* list = GST_PAD_PROBE_INFO_BUFFER_LIST(info);
    for (guint i = 0; i < gst_buffer_list_length(list); ++i)
      self->writeBuffer(gst_buffer_list_get(list, i));
  } else if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent* ev = GST_PAD_PROBE_INFO_EVENT(info);
    if (gst_video_event_is_force_key_unit(ev)) {
      // The muxer writes PAT, PMT and the keyframe after this: a new segment.
      self->sink_->beginSegment();
      self->segmentOpen_ = true;
      self->segments_.fetch_add(1, std::memory_order_relaxed);
    } else if (GST_EVENT_TYPE(ev) == GST_EVENT_EOS) {
      if (self->segmentOpen_) self->sink_->endSegment();
      self->segmentOpen_ = false;
      self->loop_.post([weak = self->weak_from_this()] {
        if (auto s = weak.lock()) s->completeFinish();
      });
    }
  }
  return GST_PAD_PROBE_OK;
}

void TrickleEgress::finish(std::function<void()> done) {
  if (finishing_) {
    // A second finish() while one is under way: told when the first completes.
    if (done)
      done_ = [first = std::move(done_), done = std::move(done)] {
        if (first) first();
        done();
      };
    return;
  }
  if (stopped_ || !started_ || failed_.load()) {
    // Nothing to flush: done all the same, on the main loop.
    stop();
    if (done) loop_.post(std::move(done));
    return;
  }
  finishing_ = true;
  done_ = std::move(done);
  {
    std::lock_guard lock(mediaMu_);
    accepting_.store(false, std::memory_order_release);
  }
  // EOS after the queued frames: the muxer writes them, then the output probe completes the
  // last segment and calls completeFinish() on the main loop.
  gst_app_src_end_of_stream(videoSrc_);
  if (audioSrc_) gst_app_src_end_of_stream(audioSrc_);
  loop_.after(std::chrono::duration_cast<std::chrono::milliseconds>(kFinishTimeout),
              [weak = weak_from_this()] {
                auto self = weak.lock();
                if (!self || self->stopped_) return;
                spdlog::warn("trickle egress {}: the muxer did not finish in time", self->id());
                self->completeFinish();
              });
}

void TrickleEgress::completeFinish() {
  if (stopped_) return;
  teardown();
  if (auto done = std::move(done_)) done();
}

void TrickleEgress::stop() {
  if (stopped_) return;
  teardown();
  // A stop while finishing: the caller of finish() is still told.
  if (auto done = std::move(done_)) loop_.post(std::move(done));
}

void TrickleEgress::teardown() {
  stopped_ = true;
  accepting_.store(false, std::memory_order_release);
  // Joins the streaming threads: no probe uses this object or the sink afterwards.
  gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
  GstPtr<GstBus> bus(gst_element_get_bus(pipeline_.get()));
  gst_bus_set_sync_handler(bus.get(), nullptr, nullptr, nullptr);
  if (segmentOpen_) {
    sink_->endSegment();
    segmentOpen_ = false;
  }
  const Figures f = figures();
  spdlog::info(
      "trickle egress {} of stream '{}' stopped: {} segments, {} bytes, {} frames ({} "
      "dropped)",
      id(), logSafe(streamId()), f.segments, f.bytes, f.framesWritten, f.framesDropped);
}

void TrickleEgress::fail(const std::string& reason) noexcept {
  if (failed_.exchange(true)) return;
  accepting_.store(false, std::memory_order_release);
  spdlog::warn("trickle egress {} of stream '{}' failed: {}", id(), logSafe(streamId()), reason);
  ended("trickle output failed: " + reason);
}

GstBusSyncReply TrickleEgress::onBusMessage(GstBus*, GstMessage* msg, gpointer data) {
  auto* self = static_cast<TrickleEgress*>(data);
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    GError* err = nullptr;
    gchar* dbg = nullptr;
    gst_message_parse_error(msg, &err, &dbg);
    GErrorPtr e(err);
    GCharPtr d(dbg);
    spdlog::debug("trickle egress {}: error from {}: {} ({})", self->id(),
                  GST_OBJECT_NAME(msg->src), e ? e->message : "?", d ? d.get() : "");
    self->fail(e ? e->message : "unknown error");
  }
  // Nobody pops this bus: a sync handler that drops a message owns it.
  gst_message_unref(msg);
  return GST_BUS_DROP;
}

ConnectionState TrickleEgress::state() const {
  if (failed_.load()) return ConnectionState::Failed;
  if (stopped_.load()) return ConnectionState::Closed;
  return started_.load() ? ConnectionState::Connected : ConnectionState::New;
}

ViewerStats TrickleEgress::stats() const {
  ViewerStats v;
  v.info = info();
  v.state = state();
  v.videoCodec = VideoCodec::H264;
  v.hasAudio = opts_.withAudio;
  v.framesSent = framesWritten_.load(std::memory_order_relaxed);
  v.framesDropped = framesDropped_.load(std::memory_order_relaxed);
  // Sends the stream to another server, as a push does (ViewerKind has no trickle kind yet).
  v.kind = ViewerKind::Trickle;
  v.bytesSent = bytes_.load(std::memory_order_relaxed);
  return v;
}

TrickleEgress::Figures TrickleEgress::figures() const {
  Figures f;
  f.segments = segments_.load(std::memory_order_relaxed);
  f.framesWritten = framesWritten_.load(std::memory_order_relaxed);
  f.framesDropped = framesDropped_.load(std::memory_order_relaxed);
  f.bytes = bytes_.load(std::memory_order_relaxed);
  f.workerLatency = workerLatency_.histogram();
  f.workerLatencyRecent = workerLatency_.summary();
  f.silencePackets = silencePackets_.load(std::memory_order_relaxed);
  return f;
}

}  // namespace cs::trickle
