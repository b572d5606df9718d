#include "stream/Stream.h"

#include <spdlog/spdlog.h>

#include "media/RunningTime.h"
#include "util/LogEscape.h"

#include "workflow/Warmup.h"

namespace cs {

Stream::Stream(std::string id, unsigned videoBitrate, MainLoop& loop)
    : id_(std::move(id)), videoBitrate_(videoBitrate), loop_(loop), baseTime_([] {
        GstClock* clock = gst_system_clock_obtain();
        const GstClockTime now = gst_clock_get_time(clock);
        gst_object_unref(clock);
        return now;
      }()) {
  for (auto& f : videoFanout_) f.store(std::make_shared<const ViewerList>());
  audioFanout_.store(std::make_shared<const ViewerList>());
  pipeline_ = std::make_unique<StreamPipeline>(
      id_, [this](GstBuffer* b, const GstVideoInfo& i) { onProcessedFrame(b, i); },
      [this](std::vector<std::string>& t) { onText(t); });
}

Stream::~Stream() { shutdown(); }

bool Stream::reservePublisher() {
  std::lock_guard lock(mu_);
  if (publisher_ || publisherReserved_) return false;
  publisherReserved_ = true;
  return true;
}

void Stream::releasePublisher() {
  std::lock_guard lock(mu_);
  publisherReserved_ = false;
}

void Stream::attachPublisher(std::shared_ptr<Publisher> p) {
  std::lock_guard lock(mu_);
  publisher_ = std::move(p);
  publisherReserved_ = false;
}

std::shared_ptr<Publisher> Stream::detachPublisher() {
  std::lock_guard lock(mu_);
  return std::move(publisher_);
}

bool Stream::hasPublisher() const {
  std::lock_guard lock(mu_);
  return publisher_ || publisherReserved_;
}

bool Stream::hasLivePublisher() const {
  std::lock_guard lock(mu_);
  return publisher_ != nullptr;
}

unsigned Stream::viewerCount() const {
  std::lock_guard lock(mu_);
  return static_cast<unsigned>(viewers_.size()) + viewersReserved_;
}

bool Stream::reserveViewer(unsigned max) {
  std::lock_guard lock(mu_);
  if (viewers_.size() + viewersReserved_ >= max) return false;
  ++viewersReserved_;
  return true;
}

void Stream::releaseViewer() {
  std::lock_guard lock(mu_);
  if (viewersReserved_) --viewersReserved_;
}

void Stream::addViewer(std::shared_ptr<Viewer> v) {
  std::lock_guard lock(mu_);
  if (viewersReserved_) --viewersReserved_;
  viewers_.push_back(std::move(v));
  publishSnapshotsLocked();
}

std::shared_ptr<Viewer> Stream::removeViewer(const std::string& id) {
  std::lock_guard lock(mu_);
  for (auto it = viewers_.begin(); it != viewers_.end(); ++it) {
    if ((*it)->id != id) continue;
    auto v = std::move(*it);
    viewers_.erase(it);
    publishSnapshotsLocked();
    return v;
  }
  return nullptr;
}

bool Stream::empty() const {
  std::lock_guard lock(mu_);
  return !publisher_ && !publisherReserved_ && viewers_.empty() && viewersReserved_ == 0;
}

void Stream::publishSnapshotsLocked() {
  for (int c = 0; c < kVideoCodecCount; ++c) {
    auto list = std::make_shared<ViewerList>();
    for (const auto& v : viewers_)
      if (v->peer->videoCodec() == static_cast<VideoCodec>(c)) list->push_back(v);
    videoFanout_[c].store(std::move(list));
  }
  auto audio = std::make_shared<ViewerList>();
  for (const auto& v : viewers_)
    if (v->peer->hasAudio()) audio->push_back(v);
  audioFanout_.store(std::move(audio));
}

void Stream::ensureEncoder(VideoCodec codec) {
  std::lock_guard lock(mu_);
  auto& slot = encoders_[static_cast<int>(codec)];
  if (slot.load()) return;
  auto enc = std::make_shared<VideoEncoder>(
      codec, videoBitrate_, baseTime_, loop_,
      [this, codec](GstSample* s) { onEncoded(codec, s); });
  enc->start();
  slot.store(std::move(enc));
  spdlog::info("stream {}: started the {} encoder", logSafe(id_), toString(codec));
}

void Stream::requestKeyframe(VideoCodec codec) noexcept {
  if (auto enc = encoders_[static_cast<int>(codec)].load()) enc->requestKeyframe();
}

void Stream::applyWorkflow(std::shared_ptr<GraphWorkflow> wf) {
  std::lock_guard lock(workflowMu_);
  warmUpWorkflow(*wf);
  installWorkflowLocked(std::move(wf));
}

void Stream::warmUpWorkflow(GraphWorkflow& wf, const std::atomic<bool>* cancel) {
  SamplePtr last = pipeline_->lastInput();
  GstVideoInfo info;
  GstVideoFrame frame;
  bool mapped = false;
  if (last && gst_video_info_from_caps(&info, gst_sample_get_caps(last.get())))
    mapped = gst_video_frame_map(&frame, &info, gst_sample_get_buffer(last.get()), GST_MAP_READ);
  if (mapped) {
    I420View v;
    v.width = GST_VIDEO_FRAME_WIDTH(&frame);
    v.height = GST_VIDEO_FRAME_HEIGHT(&frame);
    for (int p = 0; p < 3; ++p) {
      v.planes[p] = static_cast<uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&frame, p));
      v.strides[p] = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, p);
    }
    warmUp(wf, &v, v.width, v.height, kWarmupRuns, cancel);
    gst_video_frame_unmap(&frame);
  } else {
    warmUp(wf, nullptr, targetWidth_.load(), targetHeight_.load(), kWarmupRuns, cancel);
  }
}

void Stream::installWorkflow(std::shared_ptr<GraphWorkflow> wf) {
  std::lock_guard lock(workflowMu_);
  installWorkflowLocked(std::move(wf));
}

void Stream::installWorkflowLocked(std::shared_ptr<GraphWorkflow> wf) {
  const bool audio = wf->processesAudio();
  if (audio && !audio_.load()) {
    auto pipeline = std::make_shared<AudioPipeline>(
        baseTime_, [this] { return workflow(); }, [this](GstSample* s) { fanOutAudio(s); });
    pipeline->start();
    audio_.store(std::move(pipeline));
  }
  pipeline_->setWorkflow(std::move(wf));
  audioProcessing_.store(audio);
}

std::shared_ptr<GraphWorkflow> Stream::workflow() const {
  return std::dynamic_pointer_cast<GraphWorkflow>(pipeline_->workflow());
}

void Stream::setTargetSize(int width, int height) {
  targetWidth_.store(width);
  targetHeight_.store(height);
}

nlohmann::json Stream::statsJson() const {
  nlohmann::json j = fps_.toJson();
  j["stream_id"] = id_;
  j["frames_processed"] = pipeline_->framesProcessed();
  j["frames_dropped"] = pipeline_->framesDropped();
  j["frames_failed"] = pipeline_->framesFailed();
  j["paused"] = pipeline_->paused();
  j["viewers"] = viewerCount();
  const auto lat = latency_.summary();
  j["server_latency_ms"] = {{"p50", lat.p50Ms}, {"p95", lat.p95Ms}, {"samples", lat.samples}};
  uint64_t encoderDrops = 0;
  for (const auto& slot : encoders_)
    if (auto enc = slot.load()) encoderDrops += enc->framesDropped();
  j["encoder_frames_dropped"] = encoderDrops;
  if (auto wf = workflow()) {
    j["workflow"] = std::string(wf->name());
    j["nodes"] = wf->nodeTimings();
  }
  return j;
}

void Stream::addTextSink(std::weak_ptr<TextSink> sink) {
  std::lock_guard lock(textMu_);
  std::erase_if(textSinks_, [](const auto& w) { return w.expired(); });
  textSinks_.push_back(std::move(sink));
}

void Stream::onText(std::vector<std::string>& texts) noexcept {
  std::lock_guard lock(textMu_);
  for (const auto& w : textSinks_)
    if (auto sink = w.lock())
      for (const auto& t : texts) sink->sendText(t);
}

void Stream::onProcessedFrame(GstBuffer* buf, const GstVideoInfo& info) noexcept {
  fps_.frame();
  for (auto& slot : encoders_)
    if (auto enc = slot.load()) enc->push(gst_buffer_ref(buf), info);
  gst_buffer_unref(buf);
}

void Stream::onDecodedVideo(GstSample* s) noexcept {
  latency_.frameDecoded(runningTimeOf(s));
  pipeline_->submit(s);
}

void Stream::onEncoded(VideoCodec codec, GstSample* s) noexcept {
  latency_.frameEncoded(runningTimeOf(s));
  const auto viewers = videoFanout_[static_cast<int>(codec)].load();
  for (const auto& v : *viewers) v->peer->pushVideo(s);
}

void Stream::onIngestAudio(GstSample* s) noexcept {
  if (audioProcessing_.load(std::memory_order_relaxed)) {
    if (auto a = audio_.load()) return a->push(s);
  }
  fanOutAudio(s);
}

void Stream::fanOutAudio(GstSample* s) noexcept {
  const auto viewers = audioFanout_.load();
  for (const auto& v : *viewers) v->peer->pushAudio(s);
}

void Stream::shutdown() {
  if (pipeline_) pipeline_.reset();  // joins the worker: no more frames reach the encoders
  for (auto& slot : encoders_)
    if (auto enc = slot.exchange(nullptr)) enc->stop();
  if (auto a = audio_.exchange(nullptr)) a->stop();
}

}  // namespace cs
