#include "record/Recorder.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "media/PipelineLaunch.h"
#include "media/RunningTime.h"
#include "util/ControlError.h"
#include "util/LogEscape.h"
#include "util/RateLimitedLog.h"

namespace cs {
namespace {

// The writer may fall this far behind before frames are dropped: a few seconds of video at any
// bitrate the server encodes, so a disk hiccup costs nothing, and a stuck disk costs bounded
// memory (the queued buffers are the encoder's own, shared with the other viewers).
constexpr guint64 kMaxQueuedVideo = 150;
constexpr guint64 kMaxQueuedAudio = 250;
constexpr guint64 kMaxQueuedBytes = 16 << 20;
// matroskamux (GstCollectPads in 1.22) writes only when every track has a packet queued, so a
// stream whose audio stops (a publisher without audio, a stalled audio path) would stall the
// recording. Once audio lags video by this much, Opus silence fills the gap, at most
// kMaxSilence of it, ending half of kAudioStall behind the video so late real audio still fits.
constexpr GstClockTime kAudioStall = GST_SECOND;
constexpr GstClockTime kMaxSilence = 2 * GST_SECOND;
constexpr GstClockTime kOpusFrame = 20 * GST_MSECOND;
// One 20 ms CELT fullband frame of silence (TOC 0xF8: config 31, mono, one frame). Every Opus
// decoder takes a mono packet in a stereo stream.
constexpr guint8 kOpusSilence[] = {0xF8, 0xFF, 0xFE};
// How often written data is forced to the disk (fdatasync), so a power loss costs about this
// much. SIGKILL costs nothing: every block is written as it comes (see docs/RECORDING.md).
constexpr auto kSyncInterval = std::chrono::seconds(1);
// A muxer that has not finalized the file by then is stopped anyway.
constexpr auto kFinalizeTimeout = std::chrono::seconds(5);

// WebRTC Opus is channel-mapping family 0 (mono or stereo) at 48 kHz; declaring stereo covers
// both and keeps the track's format fixed when the publisher changes.
constexpr const char* kAudioCaps =
    "audio/x-opus,channel-mapping-family=(int)0,channels=(int)2,rate=(int)48000";
constexpr const char* kVideoCaps = "video/x-h264,stream-format=byte-stream,alignment=au";

double unixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

UniqueFd createFile(const std::filesystem::path& path) {
  // O_EXCL: two recordings never write into one file, and an existing file is never truncated.
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd)
    throw ControlError(ErrorKind::Internal,
                       "cannot create '" + path.string() + "': " + std::strerror(errno));
  return fd;
}

GstClockTime endOf(GstBuffer* buf) {
  const GstClockTime pts = GST_BUFFER_PTS(buf);
  if (!GST_CLOCK_TIME_IS_VALID(pts)) return GST_CLOCK_TIME_NONE;
  const GstClockTime d = GST_BUFFER_DURATION(buf);
  return GST_CLOCK_TIME_IS_VALID(d) ? pts + d : pts;
}

void storeMax(std::atomic<uint64_t>& a, uint64_t v) {
  uint64_t cur = a.load(std::memory_order_relaxed);
  while (v > cur && !a.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

}  // namespace

Recorder::Recorder(SessionInfo info, Options opts, MainLoop& loop)
    : Recorder(std::move(info), std::move(opts), UniqueFd(), loop) {}

Recorder::Recorder(SessionInfo info, Options opts, UniqueFd file, MainLoop& loop)
    : Viewer(std::move(info)),
      opts_(std::move(opts)),
      loop_(loop),
      startedAt_(this->info().createdAt > 0 ? this->info().createdAt : unixNow()),
      file_(std::move(file)) {
  if (!file_) {
    file_ = createFile(opts_.path);
    createdFile_ = true;
  }
  try {
    build();
  } catch (...) {
    // Nothing was written: do not leave an empty file behind.
    file_.reset();
    if (createdFile_) ::unlink(opts_.path.c_str());
    throw;
  }
}

Recorder::~Recorder() {
  // Owners stop on the main loop first; this is the last-resort path (a failed start).
  if (pipeline_) {
    gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
    GstPtr<GstBus> bus(gst_element_get_bus(pipeline_.get()));
    gst_bus_set_sync_handler(bus.get(), nullptr, nullptr, nullptr);
  }
  // Never started (its stream refused it): nothing was written, leave no empty file behind.
  if (createdFile_ && !started_) {
    file_.reset();
    ::unlink(opts_.path.c_str());
  }
}

void Recorder::build() {
  // No queue elements: each appsrc pushes from its own streaming thread, so the writes happen
  // there. h264parse turns the byte-stream into the avcC form Matroska stores.
  std::string desc = std::string("appsrc name=video caps=\"") + kVideoCaps +
                     "\" ! h264parse name=parse ! matroskamux name=mux ! fdsink name=sink";
  // The audio appsrc is linked by hand below: "! mux." would link it to a video pad.
  if (opts_.withAudio) desc += std::string(" appsrc name=audio caps=\"") + kAudioCaps + "\"";
  pipeline_ = launchPipeline(desc, "the recorder");
  GstElement* p = pipeline_.get();

  const auto configureSource = [&](const char* name, guint64 maxBuffers) {
    GstPtr<GstElement> src(gst_bin_get_by_name(GST_BIN(p), name));
    // Timestamps are rebased here (the file starts at 0), so the pipeline needs no clock: the
    // sink writes as fast as data comes (sync=false below).
    g_object_set(src.get(), "is-live", TRUE, "format", GST_FORMAT_TIME, "do-timestamp", FALSE,
                 "block", FALSE, "max-buffers", maxBuffers, "max-bytes", kMaxQueuedBytes,
                 "max-time", guint64(0), nullptr);
    // A safety net only: pushes check the level first and drop the newest frame themselves.
    gst_app_src_set_leaky_type(GST_APP_SRC(src.get()), GST_APP_LEAKY_TYPE_DOWNSTREAM);
    return GST_APP_SRC(src.get());  // the pipeline keeps it alive
  };
  videoSrc_ = configureSource("video", kMaxQueuedVideo + 1);
  if (opts_.withAudio) audioSrc_ = configureSource("audio", kMaxQueuedAudio + 1);

  GstPtr<GstElement> sink(gst_bin_get_by_name(GST_BIN(p), "sink"));
  g_object_set(sink.get(), "fd", file_.get(), "sync", FALSE, "async", FALSE, nullptr);
  GstPtr<GstPad> sinkPad(gst_element_get_static_pad(sink.get(), "sink"));
  gst_pad_add_probe(
      sinkPad.get(),
      GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
      onFileOutput, this, nullptr);

  GstPtr<GstElement> parse(gst_bin_get_by_name(GST_BIN(p), "parse"));
  GstPtr<GstPad> parseSrc(gst_element_get_static_pad(parse.get(), "src"));
  GstPtr<GstPad> muxVideo(gst_pad_get_peer(parseSrc.get()));
  gst_pad_add_probe(
      muxVideo.get(),
      GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
      onMuxVideoInput, this, nullptr);
  if (audioSrc_) {
    GstPtr<GstElement> mux(gst_bin_get_by_name(GST_BIN(p), "mux"));
    GstPtr<GstPad> muxAudio(gst_element_request_pad_simple(mux.get(), "audio_%u"));
    GstPtr<GstPad> audioOut(gst_element_get_static_pad(GST_ELEMENT(audioSrc_), "src"));
    if (!muxAudio || gst_pad_link(audioOut.get(), muxAudio.get()) != GST_PAD_LINK_OK)
      throw ControlError(ErrorKind::Internal, "cannot link the recorder's audio track");
    gst_pad_add_probe(muxAudio.get(), GST_PAD_PROBE_TYPE_BUFFER, onMuxAudioInput, this, nullptr);
  }

  GstPtr<GstBus> bus(gst_element_get_bus(p));
  gst_bus_set_sync_handler(bus.get(), onBusMessage, this, nullptr);
}

void Recorder::start() {
  {
    std::lock_guard lock(stateMu_);
    if (started_) return;
    started_ = true;
  }
  if (gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    throw ControlError(ErrorKind::Internal, "cannot start the recorder of " + opts_.path.string());
  accepting_.store(true, std::memory_order_release);
  spdlog::info("recording {} of stream '{}' to {}", id(), logSafe(streamId()), opts_.path.string());
  if (opts_.requestKeyframe) opts_.requestKeyframe();
}

void Recorder::onVideo(GstSample* sample) noexcept {
  if (!accepting_.load(std::memory_order_acquire)) {
    if (failed_.load(std::memory_order_relaxed))
      framesDropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  GstBuffer* buf = gst_sample_get_buffer(sample);
  const GstClockTime rt = runningTimeOf(sample);
  if (!buf || !GST_CLOCK_TIME_IS_VALID(rt)) {
    framesDropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const bool keyframe = !GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
  bool askKeyframe = false;
  {
    std::lock_guard lock(mediaMu_);
    if (!haveStart_) {
      // The file starts on a keyframe; the delta frames before it cannot be decoded.
      if (!keyframe) return;
      haveStart_ = true;
      t0_ = rt;
    }
    // The stream's clock only moves forward (one base time for every publisher), so an earlier
    // frame is a stray from before the start; Matroska needs increasing times per track.
    if (rt < t0_ || (GST_CLOCK_TIME_IS_VALID(lastVideoPts_) && rt - t0_ <= lastVideoPts_)) {
      framesDropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    const GstClockTime pts = rt - t0_;
    if (needKeyframe_ && !keyframe) {
      framesDropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (gst_app_src_get_current_level_buffers(videoSrc_) >= kMaxQueuedVideo ||
        gst_app_src_get_current_level_bytes(videoSrc_) >= kMaxQueuedBytes) {
      // The writer is behind (slow disk). Drop the newest and resume on a keyframe: a delta
      // frame after a hole would decode to garbage.
      framesDropped_.fetch_add(1, std::memory_order_relaxed);
      askKeyframe = !needKeyframe_;
      needKeyframe_ = true;
    } else {
      needKeyframe_ = false;
      // A new buffer sharing the encoder's memory (no copy of the data), rebased to the file.
      GstBuffer* out = gst_buffer_copy(buf);
      GST_BUFFER_PTS(out) = pts;
      GST_BUFFER_DTS(out) = pts;  // the stream's encoders make no B-frames
      gst_app_src_push_buffer(videoSrc_, out);
      lastVideoPts_ = pts;
      if (audioSrc_) fillAudioGapLocked(pts);
    }
  }
  if (askKeyframe) {
    CS_LOG_LIMITED(spdlog::level::warn, "recording {}: writer behind, dropping video", id());
    if (opts_.requestKeyframe) opts_.requestKeyframe();
  }
}

void Recorder::onAudio(GstSample* sample) noexcept {
  if (!audioSrc_) return;
  if (!accepting_.load(std::memory_order_acquire)) {
    if (failed_.load(std::memory_order_relaxed))
      audioDropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  GstBuffer* buf = gst_sample_get_buffer(sample);
  const GstClockTime rt = runningTimeOf(sample);
  if (!buf || !GST_CLOCK_TIME_IS_VALID(rt)) {
    audioDropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  std::lock_guard lock(mediaMu_);
  if (!haveStart_ || rt < t0_) return;  // before the file's first keyframe: not recorded
  const GstClockTime pts = rt - t0_;
  if (GST_CLOCK_TIME_IS_VALID(lastAudioPts_) && pts <= lastAudioPts_) {
    // Behind what is already queued: silence filled this time while audio was missing.
    audioDropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const GstClockTime d = GST_BUFFER_DURATION(buf);
  pushAudioLocked(gst_buffer_copy(buf), pts, GST_CLOCK_TIME_IS_VALID(d) ? d : kOpusFrame);
}

bool Recorder::pushAudioLocked(GstBuffer* out, GstClockTime pts, GstClockTime duration) noexcept {
  if (gst_app_src_get_current_level_buffers(audioSrc_) >= kMaxQueuedAudio) {
    gst_buffer_unref(out);
    audioDropped_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  GST_BUFFER_PTS(out) = pts;
  GST_BUFFER_DTS(out) = pts;
  GST_BUFFER_DURATION(out) = duration;
  gst_app_src_push_buffer(audioSrc_, out);
  lastAudioPts_ = pts;
  audioEnd_ = pts + duration;
  return true;
}

void Recorder::fillAudioGapLocked(GstClockTime videoPts) noexcept {
  if (videoPts < audioEnd_ + kAudioStall) return;
  const GstClockTime until = videoPts - kAudioStall / 2;
  GstClockTime t = std::max(audioEnd_, until > kMaxSilence ? until - kMaxSilence : 0);
  uint64_t n = 0;
  for (; t + kOpusFrame <= until; t += kOpusFrame) {
    GstBuffer* b =
        gst_buffer_new_wrapped_full(GST_MEMORY_FLAG_READONLY, const_cast<guint8*>(kOpusSilence),
                                    sizeof kOpusSilence, 0, sizeof kOpusSilence, nullptr, nullptr);
    if (!pushAudioLocked(b, t, kOpusFrame)) break;
    ++n;
  }
  silencePackets_.fetch_add(n, std::memory_order_relaxed);
}

void Recorder::fail(const std::string& reason) noexcept {
  {
    std::lock_guard lock(stateMu_);
    if (finished_ || failed_.load()) return;
    error_ = reason;
    failed_.store(true);
  }
  accepting_.store(false, std::memory_order_release);
  spdlog::error("recording {} of stream '{}' failed: {}", id(), logSafe(streamId()), reason);
  postFinalize();
  // The registry removes it from the stream; its status stays readable.
  ended("recording failed: " + reason);
}

void Recorder::postFinalize() noexcept {
  {
    std::lock_guard lock(stateMu_);
    if (finalizePosted_) return;
    finalizePosted_ = true;
  }
  // The pipeline must not be set to NULL from its own streaming threads: the main loop does it.
  loop_.post([weak = weak_from_this()] {
    if (auto self = weak.lock()) self->finalize();
  });
}

void Recorder::stop() {
  bool started;
  {
    std::lock_guard lock(stateMu_);
    if (stopping_ || finished_) return;
    stopping_ = true;
    started = started_;
  }
  accepting_.store(false, std::memory_order_release);
  if (!started || failed_.load()) {
    finalize();
    return;
  }
  // EOS after the queued frames: the muxer writes the last cluster, the duration and the cues.
  gst_app_src_end_of_stream(videoSrc_);
  if (audioSrc_) gst_app_src_end_of_stream(audioSrc_);
  loop_.after(std::chrono::duration_cast<std::chrono::milliseconds>(kFinalizeTimeout),
              [weak = weak_from_this()] {
                auto self = weak.lock();
                if (!self || self->finished()) return;
                spdlog::warn("recording {}: the muxer did not finish in time; closing the file",
                             self->id());
                self->finalize();
              });
}

void Recorder::finalize() {
  {
    std::lock_guard lock(stateMu_);
    if (finished_) return;
  }
  accepting_.store(false, std::memory_order_release);
  // Joins the streaming threads: no probe or bus message uses this object afterwards.
  gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
  GstPtr<GstBus> bus(gst_element_get_bus(pipeline_.get()));
  gst_bus_set_sync_handler(bus.get(), nullptr, nullptr, nullptr);
  // What is really in the file: the count from the sink's input includes a buffer whose write
  // failed.
  struct stat fileStat {};
  if (::fstat(file_.get(), &fileStat) == 0 && S_ISREG(fileStat.st_mode))
    bytes_.store(static_cast<uint64_t>(fileStat.st_size), std::memory_order_relaxed);
  file_.reset();
  RecordingStatus st;
  {
    std::lock_guard lock(stateMu_);
    finished_ = true;
  }
  finishedCv_.notify_all();
  st = status();
  spdlog::info("recording {} {}: {} bytes, {:.1f} s, {} frames ({} dropped), {} audio packets",
               id(), toString(st.state), st.bytes, st.durationNs / 1e9, st.framesWritten,
               st.framesDropped, st.audioPacketsWritten);
  if (silencePackets_.load() > 0)
    spdlog::info("recording {}: {} ms of missing audio filled with silence", id(),
                 silencePackets_.load() * (kOpusFrame / GST_MSECOND));
  if (opts_.onFinished) opts_.onFinished(st);
}

bool Recorder::finished() const {
  std::lock_guard lock(stateMu_);
  return finished_;
}

bool Recorder::waitFinished(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(stateMu_);
  return finishedCv_.wait_for(lock, timeout, [&] { return finished_; });
}

ConnectionState Recorder::state() const {
  switch (status().state) {
    case RecordingState::Recording:
      return ConnectionState::Connected;
    case RecordingState::Stopped:
      return ConnectionState::Closed;
    case RecordingState::Failed:
      return ConnectionState::Failed;
  }
  return ConnectionState::Closed;
}

ViewerStats Recorder::stats() const {
  const RecordingStatus st = status();
  ViewerStats v;
  v.info = info();
  v.state = state();
  v.videoCodec = VideoCodec::H264;
  v.hasAudio = opts_.withAudio;
  v.framesSent = st.framesWritten;
  v.framesDropped = st.framesDropped;
  v.kind = ViewerKind::Recording;
  return v;
}

RecordingStatus Recorder::status() const {
  RecordingStatus s;
  s.id = id();
  s.streamId = streamId();
  s.path = opts_.path.string();
  s.startedAt = startedAt_;
  s.hasAudio = opts_.withAudio;
  {
    std::lock_guard lock(stateMu_);
    s.error = error_;
    // An ending recording reads "recording" until it is finalized, so a final state always comes
    // with final figures (the bytes really in the file, not the failed write's).
    s.state = !finished_       ? RecordingState::Recording
              : failed_.load() ? RecordingState::Failed
                               : RecordingState::Stopped;
  }
  s.bytes = bytes_.load(std::memory_order_relaxed);
  s.durationNs = endNs_.load(std::memory_order_relaxed);
  s.framesWritten = framesWritten_.load(std::memory_order_relaxed);
  s.framesDropped = framesDropped_.load(std::memory_order_relaxed);
  s.audioPacketsWritten = audioWritten_.load(std::memory_order_relaxed);
  s.audioPacketsDropped = audioDropped_.load(std::memory_order_relaxed);
  return s;
}

GstBusSyncReply Recorder::onBusMessage(GstBus*, GstMessage* msg, gpointer data) {
  auto* self = static_cast<Recorder*>(data);
  switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_ERROR: {
      GError* err = nullptr;
      gchar* dbg = nullptr;
      gst_message_parse_error(msg, &err, &dbg);
      GErrorPtr e(err);
      GCharPtr d(dbg);
      spdlog::debug("recording {}: error from {}: {} ({})", self->id(), GST_OBJECT_NAME(msg->src),
                    e ? e->message : "?", d ? d.get() : "");
      std::string reason = e ? e->message : "unknown error";
      if (e && e->domain == GST_RESOURCE_ERROR) reason = "writing the file failed: " + reason;
      self->fail(reason);
      break;
    }
    case GST_MESSAGE_EOS:
      self->postFinalize();
      break;
    default:
      break;
  }
  // Nobody pops this bus: a sync handler that drops a message owns it.
  gst_message_unref(msg);
  return GST_BUS_DROP;
}

GstPadProbeReturn Recorder::onMuxVideoInput(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* self = static_cast<Recorder*>(data);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    self->framesWritten_.fetch_add(1, std::memory_order_relaxed);
    const GstClockTime end = endOf(GST_PAD_PROBE_INFO_BUFFER(info));
    if (GST_CLOCK_TIME_IS_VALID(end)) storeMax(self->endNs_, end);
    return GST_PAD_PROBE_OK;
  }
  GstEvent* ev = GST_PAD_PROBE_INFO_EVENT(info);
  if (GST_EVENT_TYPE(ev) != GST_EVENT_CAPS) return GST_PAD_PROBE_OK;
  GstCaps* next = nullptr;
  gst_event_parse_caps(ev, &next);
  // No frame rate: WebRTC video has none, and x264enc then writes a 1 GHz time base into the
  // SPS, which h264parse reports as framerate=1000000000/1 and matroskamux would store as a
  // 1 ns DefaultDuration. The blocks' timestamps are the timing.
  CapsPtr sanitized(gst_caps_copy(next));
  gst_structure_remove_field(gst_caps_get_structure(sanitized.get(), 0), "framerate");
  if (!self->videoCaps_) {
    self->videoCaps_.reset(gst_caps_ref(sanitized.get()));
  } else if (!gst_caps_is_equal(self->videoCaps_.get(), sanitized.get())) {
    // A new publisher at another size: the encoder restarts with new SPS/PPS, which h264parse
    // turns into new caps. matroskamux refuses any caps change once the header is written, so
    // the track keeps its first caps; the new parameter sets travel in-band before every
    // keyframe (the encoder's config-interval=-1) and decoders follow them (GStreamer and
    // FFmpeg do; docs/RECORDING.md).
    const GstStructure* a = gst_caps_get_structure(self->videoCaps_.get(), 0);
    const GstStructure* b = gst_caps_get_structure(sanitized.get(), 0);
    int w0 = 0, h0 = 0, w1 = 0, h1 = 0;
    gst_structure_get_int(a, "width", &w0);
    gst_structure_get_int(a, "height", &h0);
    gst_structure_get_int(b, "width", &w1);
    gst_structure_get_int(b, "height", &h1);
    spdlog::info("recording {}: video changes from {}x{} to {}x{}; the file keeps one track",
                 self->id(), w0, h0, w1, h1);
  }
  gst_event_unref(ev);
  GST_PAD_PROBE_INFO_DATA(info) = gst_event_new_caps(self->videoCaps_.get());
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn Recorder::onMuxAudioInput(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* self = static_cast<Recorder*>(data);
  self->audioWritten_.fetch_add(1, std::memory_order_relaxed);
  const GstClockTime end = endOf(GST_PAD_PROBE_INFO_BUFFER(info));
  if (GST_CLOCK_TIME_IS_VALID(end)) storeMax(self->endNs_, end);
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn Recorder::onFileOutput(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* self = static_cast<Recorder*>(data);
  bool sync = false;
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    // Mirrors fdsink's own position: buffers append, byte segments seek (the muxer rewrites
    // sizes in the header and at each cluster's start).
    self->filePos_ += gst_buffer_get_size(GST_PAD_PROBE_INFO_BUFFER(info));
    storeMax(self->bytes_, self->filePos_);
    const auto now = std::chrono::steady_clock::now();
    if (now - self->lastSync_ >= kSyncInterval) {
      self->lastSync_ = now;
      sync = true;
    }
  } else {
    GstEvent* ev = GST_PAD_PROBE_INFO_EVENT(info);
    if (GST_EVENT_TYPE(ev) == GST_EVENT_SEGMENT) {
      const GstSegment* seg = nullptr;
      gst_event_parse_segment(ev, &seg);
      if (seg->format == GST_FORMAT_BYTES) self->filePos_ = seg->start;
    } else if (GST_EVENT_TYPE(ev) == GST_EVENT_EOS) {
      sync = true;
    }
  }
  // On this (the recorder's own) streaming thread: a slow disk delays this recording only.
  // Before this buffer is written, so what is on the disk trails by up to one interval.
  if (sync && ::fdatasync(self->file_.get()) != 0 && errno != EINVAL && errno != EROFS)
    self->fail(std::string("writing the file failed: ") + std::strerror(errno));
  return GST_PAD_PROBE_OK;
}

}  // namespace cs
