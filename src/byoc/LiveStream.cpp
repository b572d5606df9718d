#include "byoc/LiveStream.h"

#include <spdlog/spdlog.h>

#include <future>

#include "byoc/LiveEvents.h"
#include "trickle/FrameArrivals.h"
#include "trickle/TrickleEgress.h"
#include "trickle/TrickleIngest.h"
#include "trickle/TricklePublisher.h"
#include "trickle/TrickleSubscriber.h"
#include "util/ControlError.h"
#include "util/JsonLimits.h"
#include "util/LogEscape.h"
#include "util/RandomId.h"

namespace cs {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A control message is a params object; the HTTP body cap (128 KiB) bounds /stream/params, this
// bounds the channel.
constexpr size_t kMaxControlMessage = 128 * 1024;
// After the input ends, how long the frames already decoded may take through the workflow and
// the encoder before the last segment is closed anyway.
constexpr milliseconds kDrainLimit{2000};
constexpr milliseconds kFlushLimit{4000};    // the muxer's EOS
constexpr milliseconds kChannelClose{2000};  // each channel's last bytes and DELETE

double unixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

nlohmann::json paramsSummary(const LiveParams& p) {
  nlohmann::json out = p.other;
  if (p.size) {
    out["width"] = p.size->first;
    out["height"] = p.size->second;
  }
  if (p.maxFramerate) out["max_framerate"] = *p.maxFramerate;
  if (p.prompts) out["prompts"] = "(workflow)";
  return out;
}

}  // namespace

// The output channel as the egress sees it: counts segments, and tells the stream when the
// first one starts (send_first_processed_segment).
class LiveStream::OutputTap final : public trickle::SegmentSink {
 public:
  OutputTap(std::shared_ptr<trickle::TricklePublisher> out, std::function<void()> first)
      : out_(std::move(out)), first_(std::move(first)) {}
  void beginSegment() noexcept override {
    if (segments_.fetch_add(1) == 0 && first_) first_();
    out_->beginSegment();
  }
  void write(const uint8_t* data, size_t size) noexcept override { out_->write(data, size); }
  void endSegment() noexcept override { out_->endSegment(); }
  uint64_t segments() const { return segments_.load(); }

 private:
  std::shared_ptr<trickle::TricklePublisher> out_;
  std::function<void()> first_;
  std::atomic<uint64_t> segments_{0};
};

namespace {

// The workflow's text outputs, one JSON line per message, each its own segment of the data
// channel (application/jsonl: the gateway relays each line as one server-sent event).
class DataChannelSink final : public TextSink {
 public:
  DataChannelSink(trickle::TricklePublisher* out, std::string streamId)
      : out_(out), streamId_(std::move(streamId)) {}
  void sendText(const std::string& text) noexcept override {
    try {
      const nlohmann::json line = {
          {"type", "text"}, {"stream_id", streamId_}, {"text", text}, {"timestamp", unixNow()}};
      out_->publish(safeDump(line) + "\n");
    } catch (...) {
      // the media path never throws: an unsendable text is dropped
    }
  }

 private:
  trickle::TricklePublisher* out_;  // owned by the LiveStream, which outlives the sink's use
  const std::string streamId_;
};

}  // namespace

LiveStream::LiveStream(Context ctx, LiveStartRequest request, GoneHandler gone)
    : ctx_(ctx), request_(std::move(request)), gone_(std::move(gone)) {}

LiveStream::~LiveStream() {
  if (lifecycle_.joinable()) {
    if (lifecycle_.get_id() == std::this_thread::get_id())
      lifecycle_.detach();  // the last reference was the lifecycle thread's own, at its end
    else
      lifecycle_.join();
  }
}

std::shared_ptr<LiveStream> LiveStream::start(Context ctx, LiveStartRequest request,
                                              const std::string& clientAddress, GoneHandler gone) {
  std::shared_ptr<LiveStream> self(new LiveStream(ctx, std::move(request), std::move(gone)));
  try {
    self->setUp(clientAddress);
  } catch (...) {
    self->releaseAll();
    throw;
  }
  self->lifecycle_ = std::thread([self] { self->runLifecycle(); });
  return self;
}

void LiveStream::setUp(const std::string& clientAddress) {
  const std::string& sid = id();
  const auto& settings = ctx_.settings;
  auto publisherRole = ctx_.registry.reservePublisher(sid);
  stream_ = publisherRole.stream();
  const LiveParams& params = request_.params;
  if (params.size) stream_->setTargetSize(params.size->first, params.size->second);
  const WorkflowSource source = params.prompts ? WorkflowSource::of("prompts", *params.prompts)
                                               : ctx_.workflows.named("passthrough");
  workflowName_ = source.name;
  stream_->applyWorkflow(ctx_.workflows, source, "live stream " + logSafe(sid) + "'s workflow");
  params_ = paramsSummary(params);

  trickle::ChannelOptions channel;
  channel.insecure = settings.insecure;
  arrivals_ = std::make_shared<trickle::FrameArrivals>();

  // The message channels (events, data): one JSON message a segment. Their end ends nothing.
  const auto messageChannel = [&](const std::string& url, const char* contentType,
                                  const char* name) {
    trickle::TricklePublisher::Options o;
    static_cast<trickle::ChannelOptions&>(o) = channel;
    o.contentType = contentType;
    o.maxBufferedBytes = 1 << 20;
    o.deleteOnClose = false;  // the last message must stay readable
    auto out = std::make_unique<trickle::TricklePublisher>(
        url, o, [sid, name](trickle::ChannelEnd end, const std::string& why) {
          spdlog::info("live stream {}: {} channel ended ({}): {}", logSafe(sid), name,
                       trickle::toString(end), logSafe(why));
        });
    out->start();
    return out;
  };
  // Events first: every later step may report on them.
  if (!request_.eventsUrl.empty())
    events_ = messageChannel(request_.eventsUrl, "application/json", "events");
  if (!request_.dataUrl.empty()) {
    data_ = messageChannel(request_.dataUrl, "application/jsonl", "data");
    textSink_ = std::make_shared<DataChannelSink>(data_.get(), sid);
    stream_->addTextSink(textSink_);
  }

  // The input: the stream's publisher, attached first (a viewer needs one); it is fed once the
  // channels start.
  trickle::TrickleIngest::Options io;
  if (params.maxFramerate) io.maxFramerate = *params.maxFramerate;
  if (params.size) std::tie(io.width, io.height) = *params.size;
  io.arrivals = arrivals_;
  io.ownerWatchesInput = true;  // runLifecycle's 60 s input stall, not the registry's 10 s
  ingest_ = std::make_shared<trickle::TrickleIngest>(
      SessionInfo{newRandomId(), sid, unixNow(), clientAddress, {}}, io, stream_, ctx_.loop);
  ingest_->start();
  ctx_.registry.attachPublisher(publisherRole, ingest_);
  // The output: a viewer of the stream's H.264 and Opus, cut into segments on keyframes.
  if (!request_.publishUrl.empty()) {
    auto viewerRole = ctx_.registry.reserveViewer(sid);
    trickle::TricklePublisher::Options o;
    static_cast<trickle::ChannelOptions&>(o) = channel;
    o.contentType = "video/MP2T";
    std::weak_ptr<LiveStream> weak = weak_from_this();
    output_ = std::make_shared<trickle::TricklePublisher>(
        request_.publishUrl, o, [weak](trickle::ChannelEnd end, const std::string& why) {
          if (end == trickle::ChannelEnd::Stopped) return;
          if (auto self = weak.lock())
            self->requestEnd("output channel " + std::string(trickle::toString(end)) + ": " + why,
                             end != trickle::ChannelEnd::Closed);
        });
    tap_ = std::make_shared<OutputTap>(output_, [weak] {
      auto self = weak.lock();
      if (!self) return;
      self->firstOutputMs_ =
          std::chrono::duration_cast<milliseconds>(Clock::now() - self->createdAt_).count();
      self->sendEvent(live_events::kFirstProcessedSegment, nlohmann::json::object());
    });
    trickle::TrickleEgress::Options eo;
    eo.segmentLength = settings.segmentLength;
    eo.withAudio = true;
    eo.arrivals = arrivals_;
    eo.requestKeyframe = [s = std::weak_ptr<Stream>(stream_)] {
      if (auto stream = s.lock()) stream->onKeyframeRequest(VideoCodec::H264);
    };
    egress_ = std::make_shared<trickle::TrickleEgress>(
        SessionInfo{newRandomId(), sid, unixNow(), clientAddress, {}}, eo, tap_, ctx_.loop);
    output_->start();
    ctx_.registry.attachViewer(viewerRole, egress_);
    egress_->start();
  }

  startChannels();
  spdlog::info("live stream {}: started (workflow {}, input {}, output {}{}{}{})", logSafe(sid),
               logSafe(workflowName_), logSafe(request_.subscribeUrl),
               request_.publishUrl.empty() ? "none (WHEP only)" : logSafe(request_.publishUrl),
               request_.controlUrl.empty() ? "" : ", control", events_ ? ", events" : "",
               data_ ? ", data" : "");
}

void LiveStream::startChannels() {
  std::weak_ptr<LiveStream> weak = weak_from_this();
  trickle::ChannelOptions channel;
  channel.insecure = ctx_.settings.insecure;

  trickle::TrickleSubscriber::Options in;
  static_cast<trickle::ChannelOptions&>(in) = channel;
  in.startSeq = trickle::kCurrentSeq;  // the live edge: the segment being written, from its start
  trickle::TrickleSubscriber::Handler h;
  auto ingest = ingest_;
  h.segmentStarted = [weak](int64_t seq) {
    auto self = weak.lock();
    if (self && !self->firstIngest_.exchange(true))
      self->sendEvent(live_events::kFirstIngestSegment, {{"seq", seq}});
  };
  h.data = [ingest](const uint8_t* data, size_t size) { ingest->push(data, size); };
  h.segmentEnded = [](int64_t) {};
  h.ended = [weak](trickle::ChannelEnd end, const std::string& why) {
    if (end == trickle::ChannelEnd::Stopped) return;
    if (auto self = weak.lock()) {
      {
        std::lock_guard lock(self->mu_);
        self->inputEnded_ = true;
      }
      // A closed input is the gateway ending the stream (it DELETEs the channel at the end);
      // 404 or failing retries are errors the gateway should hear about.
      self->requestEnd(end == trickle::ChannelEnd::Closed
                           ? std::string("input channel closed")
                           : "input channel " + std::string(trickle::toString(end)) + ": " + why,
                       end != trickle::ChannelEnd::Closed);
    }
  };
  input_ = std::make_unique<trickle::TrickleSubscriber>(request_.subscribeUrl, in, std::move(h));

  if (!request_.controlUrl.empty()) {
    trickle::TrickleSubscriber::Options co;
    static_cast<trickle::ChannelOptions&>(co) = channel;
    co.startSeq = trickle::kCurrentSeq;
    co.maxSegmentBytes = kMaxControlMessage;
    auto buffer = std::make_shared<std::string>();
    trickle::TrickleSubscriber::Handler ch;
    ch.segmentStarted = [buffer](int64_t) { buffer->clear(); };
    ch.data = [buffer](const uint8_t* data, size_t size) {
      if (buffer->size() + size <= kMaxControlMessage)
        buffer->append(reinterpret_cast<const char*>(data), size);
    };
    ch.segmentEnded = [weak, buffer](int64_t) {
      if (auto self = weak.lock()) self->onControlMessage(*buffer);
      buffer->clear();
    };
    ch.ended = [sid = id()](trickle::ChannelEnd end, const std::string& why) {
      // The control channel is optional to the media: its end ends nothing.
      if (end != trickle::ChannelEnd::Stopped)
        spdlog::info("live stream {}: control channel ended ({}): {}", logSafe(sid),
                     trickle::toString(end), logSafe(why));
    };
    control_ = std::make_unique<trickle::TrickleSubscriber>(request_.controlUrl, co, std::move(ch));
  }
  input_->start();
  if (control_) control_->start();
}

void LiveStream::onControlMessage(const std::string& text) {
  if (text.empty()) return;
  try {
    const nlohmann::json message = parseJsonBounded(text);
    if (isKeepAlive(message)) return;
    updateParams(LiveParams::parse(message), "control");
  } catch (const std::exception& e) {
    // The gateway cannot be answered on this channel: the error goes out as an event.
    spdlog::warn("live stream {}: control message refused: {}", logSafe(id()), logSafe(e.what()));
    sendEvent(
        live_events::kError,
        {{"message", std::string("control message refused: ") + e.what()}, {"source", "control"}});
  }
}

void LiveStream::updateParams(const LiveParams& params, std::string_view via) {
  std::lock_guard serial(updateMu_);
  {
    std::lock_guard lock(mu_);
    if (endRequested_) throw ControlError(ErrorKind::NotFound, "the stream is ending");
  }
  if (params.prompts) {
    if (params.size) stream_->setTargetSize(params.size->first, params.size->second);
    // Compiled and warmed up while the running workflow keeps serving frames: no gap, no black
    // frame (the gateway swaps orchestrators after 30 s without output).
    stream_->applyWorkflow(ctx_.workflows, WorkflowSource::of("prompts", *params.prompts),
                           "live stream " + logSafe(id()) + "'s new workflow");
  }
  if (params.size) {
    stream_->setTargetSize(params.size->first, params.size->second);
    ingest_->setSize(params.size->first, params.size->second);
  }
  if (params.maxFramerate) ingest_->setMaxFramerate(*params.maxFramerate);
  nlohmann::json summary = paramsSummary(params);
  {
    std::lock_guard lock(mu_);
    if (params.prompts) workflowName_ = "prompts";
    for (const auto& [k, v] : summary.items()) params_[k] = v;
  }
  spdlog::info("live stream {}: params updated via {}: {}", logSafe(id()), via,
               logSafe(summary.dump(), 300));
  sendEvent(live_events::kParamsUpdated, {{"params", summary}, {"via", via}});
}

void LiveStream::sendEvent(std::string_view type, nlohmann::json fields) {
  if (!events_) return;
  const auto q =
      type == live_events::kHeartbeat ? live_events::kHeartbeatQueue : live_events::kLifecycleQueue;
  events_->publish(live_events::envelope(type, id(), std::move(fields), q));
}

void LiveStream::sendHeartbeat() {
  sendEvent(live_events::kHeartbeat, status());
}

void LiveStream::requestEnd(const std::string& reason, bool error) {
  {
    std::lock_guard lock(mu_);
    if (endRequested_) return;
    endRequested_ = true;
    endReason_ = reason;
    error_ = error;
  }
  cv_.notify_all();
}

bool LiveStream::stop(const std::string& reason, std::chrono::milliseconds wait) {
  requestEnd(reason, false);
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, wait, [this] { return ended_; });
}

bool LiveStream::ended() const {
  std::lock_guard lock(mu_);
  return ended_;
}

bool LiveStream::failed() const {
  std::lock_guard lock(mu_);
  return error_;
}

void LiveStream::runLifecycle() {
  auto self = shared_from_this();  // the stream lives until its end has run
  // The first heartbeat goes out at once: the gateway hears from the stream before any media.
  auto nextHeartbeat = Clock::now();
  const std::string ingestId = ingest_->id();
  {
    std::unique_lock lock(mu_);
    while (!endRequested_) {
      cv_.wait_until(lock, std::min(nextHeartbeat, Clock::now() + milliseconds(500)),
                     [this] { return endRequested_; });
      if (endRequested_) break;
      lock.unlock();
      const auto now = Clock::now();
      if (now >= nextHeartbeat) {
        sendHeartbeat();
        nextHeartbeat += ctx_.settings.heartbeatInterval;
        if (nextHeartbeat < now) nextHeartbeat = now + ctx_.settings.heartbeatInterval;
      }
      const auto lastData = input_->stats().lastData;
      const auto since = lastData == Clock::time_point{} ? createdAt_ : lastData;
      if (now - since > ctx_.settings.inputStallTimeout)
        requestEnd("no input for " + std::to_string(ctx_.settings.inputStallTimeout.count()) + " s",
                   true);
      else if (ingest_->state() == ConnectionState::Failed)
        requestEnd("the input could not be demuxed or decoded", true);
      else if (!ctx_.registry.findPublisher(ingestId))
        // The registry ended the publisher (another publisher took the stream over, or a
        // shutdown): this stream has no input any more.
        requestEnd("the stream's input was ended by the server (taken over)", true);
      lock.lock();
    }
  }
  finish();
}

void LiveStream::drainMedia() {
  const auto deadline = Clock::now() + kDrainLimit;
  // The ingest's EOS first: every byte read has been decoded and handed to the stream (its
  // pipeline then stops running).
  while (ingest_->state() == ConnectionState::Connected && Clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds(20));
  // Then the frames still in the workflow and the encoder: every one accounted for (processed,
  // dropped or failed), bounded.
  uint64_t last = UINT64_MAX;
  while (Clock::now() < deadline) {
    const auto s = stream_->stats();
    const uint64_t done = s.framesProcessed + s.framesDropped + s.framesFailed;
    if (done >= s.framesIn && done == last) return;
    last = done;
    std::this_thread::sleep_for(milliseconds(40));
  }
}

void LiveStream::finish() {
  std::string reason;
  bool error = false, inputEnded = false;
  {
    std::lock_guard lock(mu_);
    reason = endReason_;
    error = error_;
    inputEnded = inputEnded_;
  }
  spdlog::info("live stream {}: ending ({})", logSafe(id()), logSafe(reason));
  if (error) sendEvent(live_events::kError, {{"message", reason}});
  if (control_) control_->stop();
  if (!inputEnded) input_->stop();
  // Whatever was read is decoded and handed on; then the last segment is flushed whole.
  ingest_->endOfInput();
  drainMedia();
  if (egress_) {
    auto done = std::make_shared<std::promise<void>>();
    auto future = done->get_future();
    auto egress = egress_;
    ctx_.loop.post([egress, done] {
      auto once = std::make_shared<std::once_flag>();
      egress->finish([done, once] { std::call_once(*once, [&] { done->set_value(); }); });
    });
    if (future.wait_for(kFlushLimit) != std::future_status::ready)
      spdlog::warn("live stream {}: the last output segment did not flush in time", logSafe(id()));
  }
  // stream_stopped goes out before the output channel closes: a gateway takes the output's
  // end as the stream's, and stops reading events then.
  sendEvent(live_events::kStreamStopped, {{"reason", reason}, {"error", error}});
  if (events_) events_->close(kChannelClose);
  if (output_) output_->close(kChannelClose);
  if (data_) data_->close(kChannelClose);
  input_->stop();
  releaseAll();
  {
    std::lock_guard lock(mu_);
    ended_ = true;
  }
  cv_.notify_all();
  spdlog::info("live stream {}: ended", logSafe(id()));
  if (gone_) gone_(id());
}

void LiveStream::releaseAll() noexcept {
  // Channel threads first (they call into the media), then the roles (the registry stops the
  // sessions on the main loop).
  try {
    if (control_) control_->stop();
    if (input_) input_->stop();
    if (output_) output_->stop();
    if (events_) events_->stop();
    if (data_) data_->stop();
    // Either may have ended by itself already (the ingest does at the input's end).
    if (egress_ && ctx_.registry.findViewer(egress_->id())) ctx_.registry.endViewer(egress_->id());
    if (ingest_ && ctx_.registry.findPublisher(ingest_->id()))
      ctx_.registry.endPublisher(ingest_->id());
  } catch (const std::exception& e) {
    spdlog::error("live stream {}: release failed: {}", logSafe(id()), e.what());
  }
}

nlohmann::json LiveStream::status() const {
  nlohmann::json out;
  out["gateway_request_id"] = id();
  {
    std::lock_guard lock(mu_);
    out["state"] = ended_ ? "ended" : endRequested_ ? "stopping" : "running";
    out["workflow"] = workflowName_;
    out["params"] = params_;
    if (endRequested_) out["end_reason"] = endReason_;
  }
  out["urls"] = {{"subscribe_url", request_.subscribeUrl},
                 {"publish_url", request_.publishUrl},
                 {"control_url", request_.controlUrl},
                 {"events_url", request_.eventsUrl},
                 {"data_url", request_.dataUrl}};
  const auto s = stream_->stats();
  const auto in = ingest_->figures();
  out["dimensions"] = {{"input", {{"width", in.width}, {"height", in.height}}},
                       {"output", {{"width", s.width}, {"height", s.height}}}};
  out["fps"] = {{"input", s.fpsIn.fps}, {"output", s.fps.fps}};
  nlohmann::json frames = {{"in", s.framesIn},
                           {"processed", s.framesProcessed},
                           {"dropped_behind", s.framesDropped},
                           {"failed", s.framesFailed},
                           {"dropped_pacer", in.framesPaced},
                           {"dropped_encoder", s.encoderFramesDropped}};
  out["input"] = {{"bytes", in.bytes},
                  {"bytes_dropped", in.bytesDropped},
                  {"audio_codec", in.audioCodec},
                  {"audio_packets", in.audioPackets}};
  if (input_) {
    const auto st = input_->stats();
    out["input"]["segments"] = st.segments;
    out["input"]["seq"] = st.seq;
    out["input"]["retries"] = st.retries;
  }
  if (egress_) {
    const auto e = egress_->figures();
    frames["out"] = e.framesWritten;
    frames["dropped_output"] = e.framesDropped;
    out["output"] = {{"segments", e.segments}, {"bytes", e.bytes}};
    if (output_) out["output"]["dropped_bytes"] = output_->stats().droppedBytes;
    // Over the last 600 frames; "frames" counts every frame measured since the stream began.
    out["worker_latency_ms"] = {{"p50", e.workerLatencyRecent.p50Ms},
                                {"p95", e.workerLatencyRecent.p95Ms},
                                {"samples", e.workerLatencyRecent.samples},
                                {"frames", e.workerLatency.count()}};
  }
  out["frames"] = frames;
  if (const auto first = firstOutputMs_.load(); first >= 0) out["first_output_ms"] = first;
  return out;
}

}  // namespace cs
