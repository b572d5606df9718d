#include "trickle/TrickleIngest.h"

#include <gst/video/video.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

#include "media/PipelineLaunch.h"
#include "media/RunningTime.h"
#include "stream/Stream.h"
#include "util/ControlError.h"
#include "util/LogEscape.h"
#include "util/RateLimitedLog.h"

namespace cs::trickle {
namespace {

// An input whose times move by more than this between two demuxed packets has jumped (a new
// encoder, a restarted sender, a PTS wrap), and one whose frames come out this much later than
// their mapped time has stalled: both re-anchor the mapping. A gap in live input shorter than
// this keeps its timing (the stream's viewers see the gap).
constexpr GstClockTime kJump = 2 * GST_SECOND;
// A pacer's tolerance for the input's own rounding (90 kHz ticks, ms-rounded senders).
constexpr GstClockTime kPaceSlack = GST_MSECOND;

// Each branch starts with a queue, so one slow decoder never holds the demuxer (and through it
// the other media). Bounded by time, not leaky: a full queue blocks the demuxer, the input
// appsrc then fills, and push() drops bytes (counted) instead. Slice threading: frame threading
// adds a frame of latency per thread. max-errors=-1: garbage is concealed, never fatal.
constexpr const char* kQueue = "queue max-size-buffers=0 max-size-bytes=0 max-size-time=2000000000";
constexpr const char* kVideoBranch =
    " ! h264parse ! avdec_h264 thread-type=slice max-errors=-1 ! videoconvert ! videoscale ! "
    "capsfilter name=size caps=video/x-raw,format=I420 ! "
    "appsink name=sink sync=false async=false";
// tsdemux hands Opus on as single packets already (it parses the TS Opus control headers).
constexpr const char* kOpusBranch = " ! appsink name=sink sync=false async=false";
// 20 ms frames like WebRTC's; stereo 48 kHz like every Opus the stream carries.
constexpr const char* kAacBranch =
    " ! aacparse ! avdec_aac max-errors=-1 ! audioconvert ! audioresample ! "
    "audio/x-raw,rate=48000,channels=2 ! opusenc frame-size=20 ! "
    "appsink name=sink sync=false async=false";
constexpr const char* kDiscardBranch = " ! fakesink sync=false async=false";

constexpr const char* kInputCaps = "video/mpegts,systemstream=(boolean)true,packetsize=(int)188";

int64_t steadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

GstClockTime inputRunningTime(GstPad* pad, GstBuffer* buf) {
  const GstClockTime pts = GST_BUFFER_PTS_IS_VALID(buf) ? GST_BUFFER_PTS(buf) : GST_BUFFER_DTS(buf);
  if (!GST_CLOCK_TIME_IS_VALID(pts)) return GST_CLOCK_TIME_NONE;
  GstMiniPtr<GstEvent> ev(gst_pad_get_sticky_event(pad, GST_EVENT_SEGMENT, 0));
  if (!ev) return pts;
  const GstSegment* seg = nullptr;
  gst_event_parse_segment(ev.get(), &seg);
  if (seg->format != GST_FORMAT_TIME) return pts;
  return gst_segment_to_running_time(seg, GST_FORMAT_TIME, pts);
}

}  // namespace

TrickleIngest::TrickleIngest(SessionInfo info, Options opts, std::shared_ptr<Stream> stream,
                             MainLoop& loop)
    : Publisher(std::move(info)),
      opts_(std::move(opts)),
      stream_(std::move(stream)),
      loop_(loop),
      baseTime_(stream_->baseTime()),
      maxFps_(opts_.maxFramerate > 0 ? opts_.maxFramerate : 0),
      width_(std::max(0, opts_.width)),
      height_(std::max(0, opts_.height)),
      lastActivityNs_(steadyNs()) {
  build();
}

TrickleIngest::~TrickleIngest() {
  // Owners stop on the main loop first; this is the last-resort path (a failed start).
  if (pipeline_ && !stopped_.load()) {
    gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
    GstPtr<GstBus> bus(gst_element_get_bus(pipeline_.get()));
    gst_bus_set_sync_handler(bus.get(), nullptr, nullptr, nullptr);
  }
}

void TrickleIngest::build() {
  pipeline_ = launchPipeline("appsrc name=src ! tsdemux name=demux", "the trickle ingest");
  GstElement* p = pipeline_.get();
  // The stream's clock and base time: the appsinks' running times are the stream's (§G13).
  useStreamClock(p, baseTime_);
  clock_ = gst_system_clock_obtain();
  gst_object_unref(clock_);  // a singleton, alive as long as the process (the pipeline uses it)

  GstPtr<GstElement> src(gst_bin_get_by_name(GST_BIN(p), "src"));
  src_ = GST_APP_SRC(src.get());
  CapsPtr caps(gst_caps_from_string(kInputCaps));
  // Bytes, not time: the demuxer stamps from the TS. Never blocks the subscriber's thread; the
  // byte bound is checked in push(), and leaky drops the newest as a safety net.
  g_object_set(src_, "is-live", TRUE, "format", GST_FORMAT_BYTES, "stream-type",
               GST_APP_STREAM_TYPE_STREAM, "do-timestamp", FALSE, "block", FALSE, "max-bytes",
               guint64(opts_.maxQueuedBytes), "max-buffers", guint64(0), "max-time", guint64(0),
               "caps", caps.get(), nullptr);
  gst_app_src_set_leaky_type(src_, GST_APP_LEAKY_TYPE_UPSTREAM);

  GstPtr<GstElement> demux(gst_bin_get_by_name(GST_BIN(p), "demux"));
  g_signal_connect(demux.get(), "pad-added", G_CALLBACK(onPadAdded), this);

  GstPtr<GstBus> bus(gst_element_get_bus(p));
  gst_bus_set_sync_handler(bus.get(), onBusMessage, this, nullptr);
}

void TrickleIngest::start() {
  if (gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    throw ControlError(ErrorKind::Internal,
                       "cannot start the trickle ingest of stream '" + logSafe(streamId()) + "'");
  running_.store(true, std::memory_order_release);
  touch();
}

void TrickleIngest::push(const uint8_t* data, size_t size) noexcept {
  if (size == 0) return;
  if (!running_.load(std::memory_order_acquire)) {
    bytesDropped_.fetch_add(size, std::memory_order_relaxed);
    return;
  }
  touch();
  if (gst_app_src_get_current_level_bytes(src_) + size > opts_.maxQueuedBytes) {
    // The decoder is behind (a slow machine, a burst): the newest bytes go. The demuxer resyncs
    // on the next packet header and the decoder conceals until the next keyframe.
    bytesDropped_.fetch_add(size, std::memory_order_relaxed);
    CS_LOG_LIMITED(spdlog::level::warn, "trickle ingest {}: input queue full, dropping bytes",
                   id());
    return;
  }
  GstBuffer* buf = gst_buffer_new_memdup(data, size);
  if (gst_app_src_push_buffer(src_, buf) != GST_FLOW_OK) {  // takes buf
    bytesDropped_.fetch_add(size, std::memory_order_relaxed);
    return;
  }
  bytes_.fetch_add(size, std::memory_order_relaxed);
}

void TrickleIngest::endOfInput() noexcept {
  if (!running_.load(std::memory_order_acquire)) return;
  gst_app_src_end_of_stream(src_);
}

void TrickleIngest::setMaxFramerate(double fps) noexcept {
  std::lock_guard lock(paceMu_);
  maxFps_ = fps > 0 ? fps : 0;
  nextDue_ = GST_CLOCK_TIME_NONE;
}

void TrickleIngest::setSize(int width, int height) noexcept {
  {
    std::lock_guard lock(sizeMu_);
    width_ = std::max(0, width);
    height_ = std::max(0, height);
  }
  applySizeCaps();
}

void TrickleIngest::applySizeCaps() noexcept {
  int w, h;
  GstElement* filter;
  {
    std::lock_guard lock(sizeMu_);
    w = width_;
    h = height_;
    filter = sizeFilter_;
  }
  if (!filter) return;  // the video branch is not there yet: built with the size then
  std::string desc = "video/x-raw,format=I420";
  // Both or neither: one dimension alone would leave videoscale to pick the other.
  if (w > 0 && h > 0) desc += ",width=" + std::to_string(w) + ",height=" + std::to_string(h);
  CapsPtr caps(gst_caps_from_string(desc.c_str()));
  // capsfilter renegotiates with the next frame (a reconfigure upstream): safe while playing.
  g_object_set(filter, "caps", caps.get(), nullptr);
}

void TrickleIngest::onPadAdded(GstElement*, GstPad* pad, gpointer data) {
  static_cast<TrickleIngest*>(data)->linkDemuxPad(pad);
}

void TrickleIngest::linkDemuxPad(GstPad* pad) {
  CapsPtr caps(gst_pad_get_current_caps(pad));
  if (!caps) caps.reset(gst_pad_query_caps(pad, nullptr));
  const GstStructure* s =
      caps && !gst_caps_is_empty(caps.get()) ? gst_caps_get_structure(caps.get(), 0) : nullptr;
  const std::string name = s ? gst_structure_get_name(s) : "";
  std::string branch = kDiscardBranch;
  bool video = false, audio = false;
  std::string audioCodec;
  if (name == "video/x-h264" && !hasVideo_.exchange(true)) {
    branch = kVideoBranch;
    video = true;
  } else if (name == "audio/x-opus" && !hasAudio_.exchange(true)) {
    branch = kOpusBranch;
    audio = true;
    audioCodec = "opus";
  } else if (name == "audio/mpeg" && !hasAudio_.load()) {
    int version = 0;
    gst_structure_get_int(s, "mpegversion", &version);
    if ((version == 2 || version == 4) && !hasAudio_.exchange(true)) {
      branch = kAacBranch;
      audio = true;
      audioCodec = "aac";
    }
  }
  if (!video && !audio)
    CS_LOG_LIMITED(spdlog::level::info, "trickle ingest {}: ignoring an input stream of {}", id(),
                   name.empty() ? "unknown type" : name);

  // Unused streams still go somewhere: a demuxer whose pads are all unlinked stops with an error.
  const std::string desc = std::string(kQueue) + branch;
  GError* err = nullptr;
  GstElement* bin = gst_parse_bin_from_description(desc.c_str(), TRUE, &err);
  GErrorPtr e(err);
  if (!bin) {
    spdlog::error("trickle ingest {}: cannot build the {} branch: {}", id(), name,
                  e ? e->message : "?");
    return;
  }
  if (video || audio) {
    GstPtr<GstElement> sink(gst_bin_get_by_name(GST_BIN(bin), "sink"));
    GstAppSinkCallbacks cbs{};
    cbs.new_sample = video ? onVideoSample : onAudioSample;
    gst_app_sink_set_callbacks(GST_APP_SINK(sink.get()), &cbs, this, nullptr);
    // What the arrivals and the time mapping see: the moment a packet leaves the demuxer.
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, onDemuxed, this, nullptr);
  }
  if (video)
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, onVideoCaps, this, nullptr);
  if (video) {
    GstPtr<GstElement> filter(gst_bin_get_by_name(GST_BIN(bin), "size"));
    {
      std::lock_guard lock(sizeMu_);
      sizeFilter_ = filter.get();  // the bin (in the pipeline) keeps it alive
    }
    applySizeCaps();
  }
  if (audio) {
    std::lock_guard lock(codecMu_);
    audioCodec_ = audioCodec;
  }
  gst_bin_add(GST_BIN(pipeline_.get()), bin);
  gst_element_sync_state_with_parent(bin);
  GstPtr<GstPad> sinkPad(gst_element_get_static_pad(bin, "sink"));
  if (gst_pad_link(pad, sinkPad.get()) != GST_PAD_LINK_OK)
    spdlog::error("trickle ingest {}: cannot link the {} branch", id(), name);
}

GstClockTime TrickleIngest::streamNow() const noexcept {
  const GstClockTime now = gst_clock_get_time(clock_);
  return now > baseTime_ ? now - baseTime_ : 0;
}

GstClockTime TrickleIngest::mapLocked(GstClockTime inputRt, Media media) noexcept {
  const GstClockTime now = streamNow();
  const auto in = static_cast<GstClockTimeDiff>(inputRt);
  if (!anchored_) {
    // The first packet: its time is now, the offset holds for every later one of both media.
    anchored_ = true;
    offset_ = static_cast<GstClockTimeDiff>(now) - in;
  } else {
    const GstClockTime last = lastInput_;
    const bool jumped =
        GST_CLOCK_TIME_IS_VALID(last) && (inputRt > last ? inputRt - last : last - inputRt) > kJump;
    const GstClockTimeDiff mapped = in + offset_;
    // Late by more than kJump: the input stalled and went on with continuous times. Early is
    // fine (a sender that bursts, a test feeding a file): only going forward keeps the stream's
    // times increasing.
    const bool stalled = static_cast<GstClockTimeDiff>(now) - mapped > GstClockTimeDiff(kJump);
    if (jumped || stalled) {
      // Never back in time: the stream's viewers need increasing times.
      const GstClockTime at = std::max(now, lastOutput_ + GST_MSECOND);
      offset_ = static_cast<GstClockTimeDiff>(at) - in;
      reanchors_.fetch_add(1, std::memory_order_relaxed);
      CS_LOG_LIMITED(spdlog::level::info,
                     "trickle ingest {}: input {} ({} at {} ms), re-anchoring its timestamps", id(),
                     jumped ? "jumped" : "stalled", media == Media::Video ? "video" : "audio",
                     inputRt / GST_MSECOND);
    }
  }
  lastInput_ = inputRt;
  const GstClockTimeDiff out = std::max<GstClockTimeDiff>(0, in + offset_);
  lastOutput_ = std::max(lastOutput_, static_cast<GstClockTime>(out));
  return static_cast<GstClockTime>(out);
}

GstPadProbeReturn TrickleIngest::onDemuxed(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  auto* self = static_cast<TrickleIngest*>(data);
  GstBuffer* buf = GST_PAD_PROBE_INFO_BUFFER(info);
  const GstClockTime inRt = inputRunningTime(pad, buf);
  if (!GST_CLOCK_TIME_IS_VALID(inRt)) return GST_PAD_PROBE_OK;
  CapsPtr caps(gst_pad_get_current_caps(pad));
  const bool video =
      caps && gst_structure_has_name(gst_caps_get_structure(caps.get(), 0), "video/x-h264");
  GstClockTime out;
  {
    std::lock_guard lock(self->mapMu_);
    out = self->mapLocked(inRt, video ? Media::Video : Media::Audio);
  }
  if (video) self->framesDemuxed_.fetch_add(1, std::memory_order_relaxed);
  if (video && self->opts_.arrivals)
    self->opts_.arrivals->record(out, std::chrono::steady_clock::now());
  return GST_PAD_PROBE_OK;
}

// tsdemux (1.22) pushes a video PES as soon as it is complete, but its caps do not say that a
// PES is an access unit, so h264parse waits for the next one's first NAL before it lets a frame
// go: a frame (33 ms at 30 fps) of latency (docs/GSTREAMER-NOTES.md §G19). Senders put one access
// unit in each PES (ffmpeg's mpegts muxer, which go-livepeer uses, and mpegtsmux do; the
// H.264-in-TS spec asks for it), so the caps say alignment=au and h264parse takes each PES as a
// frame.
GstPadProbeReturn TrickleIngest::onVideoCaps(GstPad*, GstPadProbeInfo* info, gpointer) {
  GstEvent* ev = GST_PAD_PROBE_INFO_EVENT(info);
  if (GST_EVENT_TYPE(ev) != GST_EVENT_CAPS) return GST_PAD_PROBE_OK;
  GstCaps* caps = nullptr;
  gst_event_parse_caps(ev, &caps);
  const GstStructure* s = gst_caps_get_structure(caps, 0);
  if (!gst_structure_has_name(s, "video/x-h264") || gst_structure_has_field(s, "alignment"))
    return GST_PAD_PROBE_OK;
  CapsPtr aligned(gst_caps_copy(caps));
  gst_caps_set_simple(aligned.get(), "alignment", G_TYPE_STRING, "au", nullptr);
  gst_event_unref(ev);
  GST_PAD_PROBE_INFO_DATA(info) = gst_event_new_caps(aligned.get());
  return GST_PAD_PROBE_OK;
}

SamplePtr TrickleIngest::restamp(GstSample* sample, bool video) noexcept {
  const GstClockTime inRt = runningTimeOf(sample);
  GstBuffer* in = gst_sample_get_buffer(sample);
  if (!in || !GST_CLOCK_TIME_IS_VALID(inRt)) return nullptr;
  GstClockTime pts;
  {
    std::lock_guard lock(mapMu_);
    // Normally mapped at the demuxer already; an encoder's own output (AAC → Opus) may carry a
    // time the demuxer never saw, mapped the same way.
    if (!anchored_) (void)mapLocked(inRt, video ? Media::Video : Media::Audio);
    pts = static_cast<GstClockTime>(
        std::max<GstClockTimeDiff>(0, static_cast<GstClockTimeDiff>(inRt) + offset_));
  }
  // A new buffer sharing the decoder's memory (no copy), in a plain [0, ∞) segment: its PTS is
  // its running time on the stream's clock (runningTimeOf).
  GstBuffer* out = gst_buffer_copy(in);
  GST_BUFFER_PTS(out) = pts;
  GST_BUFFER_DTS(out) = GST_CLOCK_TIME_NONE;
  GstSegment seg;
  gst_segment_init(&seg, GST_FORMAT_TIME);
  SamplePtr s(gst_sample_new(out, gst_sample_get_caps(sample), &seg, nullptr));
  gst_buffer_unref(out);
  return s;
}

bool TrickleIngest::paceLocked(GstClockTime pts) noexcept {
  if (maxFps_ <= 0) return true;
  const auto interval = static_cast<GstClockTime>(GST_SECOND / maxFps_);
  // Due times advance by the interval from the last kept frame's due time, not from its pts, so
  // 30 fps capped at 20 keeps 20 (not 15); a gap or a jump restarts the schedule.
  if (!GST_CLOCK_TIME_IS_VALID(nextDue_) || pts > nextDue_ + interval || pts + kJump < nextDue_) {
    nextDue_ = pts + interval;
    return true;
  }
  if (pts + kPaceSlack < nextDue_) return false;
  nextDue_ += interval;
  return true;
}

GstFlowReturn TrickleIngest::onVideoSample(GstAppSink* sink, gpointer data) {
  auto* self = static_cast<TrickleIngest*>(data);
  SamplePtr sample(gst_app_sink_pull_sample(sink));
  if (!sample) return GST_FLOW_EOS;
  self->framesDecoded_.fetch_add(1, std::memory_order_relaxed);
  self->touch();
  SamplePtr out = self->restamp(sample.get(), true);
  if (!out) {
    CS_LOG_LIMITED(spdlog::level::warn, "trickle ingest {}: a frame without a timestamp",
                   self->id());
    return GST_FLOW_OK;
  }
  {
    std::lock_guard lock(self->paceMu_);
    if (!self->paceLocked(GST_BUFFER_PTS(gst_sample_get_buffer(out.get())))) {
      self->framesPaced_.fetch_add(1, std::memory_order_relaxed);
      return GST_FLOW_OK;
    }
  }
  GstVideoInfo vi;
  if (gst_video_info_from_caps(&vi, gst_sample_get_caps(out.get()))) {
    self->outWidth_.store(vi.width, std::memory_order_relaxed);
    self->outHeight_.store(vi.height, std::memory_order_relaxed);
  }
  self->framesOut_.fetch_add(1, std::memory_order_relaxed);
  self->stream_->onPublisherVideo(out.get());
  return GST_FLOW_OK;
}

GstFlowReturn TrickleIngest::onAudioSample(GstAppSink* sink, gpointer data) {
  auto* self = static_cast<TrickleIngest*>(data);
  SamplePtr sample(gst_app_sink_pull_sample(sink));
  if (!sample) return GST_FLOW_EOS;
  SamplePtr out = self->restamp(sample.get(), false);
  if (!out) return GST_FLOW_OK;
  self->audioPackets_.fetch_add(1, std::memory_order_relaxed);
  self->stream_->onPublisherAudio(out.get());
  return GST_FLOW_OK;
}

void TrickleIngest::touch() noexcept {
  lastActivityNs_.store(steadyNs(), std::memory_order_relaxed);
}

void TrickleIngest::fail(const std::string& reason) noexcept {
  if (failed_.exchange(true)) return;
  running_.store(false, std::memory_order_release);
  spdlog::warn("trickle ingest {} of stream '{}' failed: {}", id(), logSafe(streamId()), reason);
  ended("trickle input failed: " + reason);
}

GstBusSyncReply TrickleIngest::onBusMessage(GstBus*, GstMessage* msg, gpointer data) {
  auto* self = static_cast<TrickleIngest*>(data);
  switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_ERROR: {
      GError* err = nullptr;
      gchar* dbg = nullptr;
      gst_message_parse_error(msg, &err, &dbg);
      GErrorPtr e(err);
      GCharPtr d(dbg);
      spdlog::debug("trickle ingest {}: error from {}: {} ({})", self->id(),
                    GST_OBJECT_NAME(msg->src), e ? e->message : "?", d ? d.get() : "");
      self->fail(e ? e->message : "unknown error");
      break;
    }
    case GST_MESSAGE_WARNING:
      CS_LOG_LIMITED(spdlog::level::warn, "trickle ingest {}: warning from {}", self->id(),
                     GST_OBJECT_NAME(msg->src));
      break;
    case GST_MESSAGE_EOS:
      // The input channel ended and everything queued was decoded.
      self->running_.store(false, std::memory_order_release);
      self->ended("input ended");
      break;
    default:
      break;
  }
  // Nobody pops this bus: a sync handler that drops a message owns it.
  gst_message_unref(msg);
  return GST_BUS_DROP;
}

void TrickleIngest::stop() {
  if (stopped_.exchange(true)) return;
  running_.store(false, std::memory_order_release);
  // Joins the streaming threads: no callback uses this object afterwards.
  gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
  GstPtr<GstBus> bus(gst_element_get_bus(pipeline_.get()));
  gst_bus_set_sync_handler(bus.get(), nullptr, nullptr, nullptr);
  // Nothing hands the stream frames any more: let go of it, so a stream that still holds this
  // publisher (attachPublisher) is no reference cycle.
  stream_.reset();
  const Figures f = figures();
  spdlog::info(
      "trickle ingest {} stopped: {} bytes ({} dropped), {} frames decoded ({} paced out), {} "
      "audio packets ({})",
      id(), f.bytes, f.bytesDropped, f.framesDecoded, f.framesPaced, f.audioPackets,
      f.audioCodec.empty() ? "no audio" : f.audioCodec);
}

ConnectionState TrickleIngest::state() const {
  if (failed_.load()) return ConnectionState::Failed;
  if (stopped_.load()) return ConnectionState::Closed;
  return running_.load() ? ConnectionState::Connected : ConnectionState::New;
}

std::chrono::steady_clock::time_point TrickleIngest::lastActivity() const {
  if (opts_.ownerWatchesInput && !stopped_.load()) return std::chrono::steady_clock::now();
  return std::chrono::steady_clock::time_point(
      std::chrono::nanoseconds(lastActivityNs_.load(std::memory_order_relaxed)));
}

PublisherStats TrickleIngest::stats() const {
  PublisherStats s;
  s.info = info();
  s.state = state();
  if (hasVideo_.load()) s.videoCodec = VideoCodec::H264;
  s.hasAudio = hasAudio_.load();
  s.framesReceived = framesOut_.load(std::memory_order_relaxed);
  s.bytesReceived = bytes_.load(std::memory_order_relaxed);
  return s;
}

TrickleIngest::Figures TrickleIngest::figures() const {
  Figures f;
  f.bytes = bytes_.load(std::memory_order_relaxed);
  f.framesDemuxed = framesDemuxed_.load(std::memory_order_relaxed);
  f.framesDecoded = framesDecoded_.load(std::memory_order_relaxed);
  f.framesPaced = framesPaced_.load(std::memory_order_relaxed);
  f.bytesDropped = bytesDropped_.load(std::memory_order_relaxed);
  f.audioPackets = audioPackets_.load(std::memory_order_relaxed);
  f.reanchors = reanchors_.load(std::memory_order_relaxed);
  f.width = outWidth_.load(std::memory_order_relaxed);
  f.height = outHeight_.load(std::memory_order_relaxed);
  std::lock_guard lock(codecMu_);
  f.audioCodec = audioCodec_;
  return f;
}

}  // namespace cs::trickle
