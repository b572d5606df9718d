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
  video_ = std::make_unique<VideoProcessor>(
      id_, [this](BufferPtr b, const GstVideoInfo& i) { onProcessedFrame(std::move(b), i); },
      [this](std::vector<std::string>& t) { onText(t); });
}

Stream::~Stream() {
  shutdown();
}

void Stream::attachPublisher(std::shared_ptr<Publisher> p) {
  {
    std::lock_guard lock(mu_);
    if (publisher_) ended_.add(publisher_->stats());  // taken over
    publisher_ = std::move(p);
  }
  events_.publisherAttached();
  // The encoders may hold a picture from an earlier publisher: give viewers a clean start.
  for (int c = 0; c < kVideoCodecCount; ++c) onKeyframeRequest(static_cast<VideoCodec>(c));
}

void Stream::detachPublisher(const std::string& id) {
  std::lock_guard lock(mu_);
  if (publisher_ && publisher_->id() == id) {
    ended_.add(publisher_->stats());
    publisher_.reset();
    events_.publisherDetached();
  }
}

bool Stream::hasPublisher() const {
  std::lock_guard lock(mu_);
  return publisher_ != nullptr;
}

unsigned Stream::viewerCount() const {
  std::lock_guard lock(mu_);
  return static_cast<unsigned>(viewers_.size());
}

void Stream::addViewer(std::shared_ptr<Viewer> v) {
  if (const auto codec = v->videoCodec()) ensureEncoder(*codec);
  std::lock_guard lock(mu_);
  viewers_.push_back(std::move(v));
  publishSnapshotsLocked();
  events_.viewersChanged(static_cast<unsigned>(viewers_.size()));
}

void Stream::removeViewer(const std::string& id) {
  std::lock_guard lock(mu_);
  for (const auto& v : viewers_)
    if (v->id() == id) ended_.add(v->stats());
  if (std::erase_if(viewers_, [&](const auto& v) { return v->id() == id; })) {
    publishSnapshotsLocked();
    events_.viewersChanged(static_cast<unsigned>(viewers_.size()));
    events_.viewerRemoved(id);
  }
}

void Stream::SessionTotals::add(const PublisherStats& p) {
  bytesSent += p.bytesSent;
  bytesReceived += p.bytesReceived;
}

void Stream::SessionTotals::add(const ViewerStats& v) {
  viewerDrops += v.framesDropped;
  if (!v.info.pairedId.empty()) return;  // an /offer's transport: its publisher half counts it
  bytesSent += v.bytesSent;
  bytesReceived += v.bytesReceived;
}

void Stream::publishSnapshotsLocked() {
  for (int c = 0; c < kVideoCodecCount; ++c) {
    auto list = std::make_shared<ViewerList>();
    for (const auto& v : viewers_)
      if (v->videoCodec() == static_cast<VideoCodec>(c)) list->push_back(v);
    videoFanout_[c].store(std::move(list));
  }
  auto audio = std::make_shared<ViewerList>();
  for (const auto& v : viewers_)
    if (v->takesAudio()) audio->push_back(v);
  audioFanout_.store(std::move(audio));
}

void Stream::ensureEncoder(VideoCodec codec) {
  std::lock_guard lock(mu_);
  auto& slot = encoders_[static_cast<int>(codec)];
  if (slot.load()) return;
  auto enc = std::make_shared<VideoEncoder>(codec, videoBitrate_, baseTime_, loop_,
                                            [this, codec](GstSample* s) { onEncoded(codec, s); });
  enc->start();
  slot.store(std::move(enc));
  spdlog::info("stream {}: started the {} encoder", logSafe(id_), toString(codec));
}

void Stream::onKeyframeRequest(VideoCodec codec) noexcept {
  if (auto enc = encoders_[static_cast<int>(codec)].load()) enc->requestKeyframe();
}

void Stream::onNewViewerKeyframeRequest(VideoCodec codec) noexcept {
  if (auto enc = encoders_[static_cast<int>(codec)].load())
    enc->requestKeyframe(KeyframeScheduler::Urgency::NewViewer);
}

void Stream::warmUpWorkflow(GraphWorkflow& wf, const std::atomic<bool>* cancel) {
  SamplePtr last = video_->lastInput();
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

void Stream::applyWorkflow(WorkflowService& workflows, const WorkflowSource& source,
                           const std::string& what) {
  // Warm-up may outlive this call (the caller gives up at the deadline): hold the stream.
  auto self = shared_from_this();
  installWorkflow(workflows.prepare(
      source, targetWidth_.load(), targetHeight_.load(),
      [self](GraphWorkflow& wf, const std::atomic<bool>* cancel) {
        self->warmUpWorkflow(wf, cancel);
      },
      what));
}

void Stream::applyWorkflow(WorkflowService& workflows, std::shared_ptr<GraphWorkflow> compiled,
                           const std::string& what) {
  auto self = shared_from_this();
  installWorkflow(workflows.warmUp(
      std::move(compiled),
      [self](GraphWorkflow& wf, const std::atomic<bool>* cancel) {
        self->warmUpWorkflow(wf, cancel);
      },
      what));
}

void Stream::installWorkflow(std::shared_ptr<GraphWorkflow> wf) {
  std::lock_guard lock(workflowMu_);
  const bool audio = wf->processesAudio();
  if (audio && !audio_.load()) {
    auto processor = std::make_shared<AudioProcessor>(
        baseTime_, [this] { return workflow(); }, [this](GstSample* s) { fanOutAudio(s); });
    processor->start();
    audio_.store(std::move(processor));
  }
  video_->setWorkflow(std::move(wf));
  audioProcessing_.store(audio);
}

std::shared_ptr<GraphWorkflow> Stream::workflow() const {
  return std::dynamic_pointer_cast<GraphWorkflow>(video_->workflow());
}

void Stream::setTargetSize(int width, int height) {
  targetWidth_.store(width);
  targetHeight_.store(height);
}

StreamStats Stream::stats() const {
  StreamStats st;
  st.streamId = id_;
  st.fps = fps_.snapshot();
  st.framesProcessed = video_->framesProcessed();
  st.framesDropped = video_->framesDropped();
  st.framesFailed = video_->framesFailed();
  st.paused = video_->paused();
  st.viewers = viewerCount();
  st.width = video_->width();
  st.height = video_->height();
  st.processUs = video_->lastProcessUs();
  st.latency = latency_.summary();
  for (const auto& slot : encoders_)
    if (auto enc = slot.load()) st.encoderFramesDropped += enc->framesDropped();
  if (auto wf = workflow()) {
    st.workflow = wf->name();
    st.nodes = wf->nodeTimings();
  }
  st.framesIn = fpsIn_.frames();
  st.fpsIn = fpsIn_.snapshot();
  st.latencyHistogram = latency_.histogram();
  for (const auto& slot : encoders_)
    if (auto enc = slot.load())
      st.encoders.push_back(
          {enc->codec(), enc->framesEncoded(), enc->bytesEncoded(), enc->framesDropped()});
  {
    // The live sessions' figures and the ended ones' under one lock, so a session leaving
    // between the two can neither vanish from the totals nor count twice.
    std::lock_guard lock(mu_);
    SessionTotals all = ended_;
    if (publisher_) all.add(publisher_->stats());
    for (const auto& v : viewers_) all.add(v->stats());
    st.networkBytesSent = all.bytesSent;
    st.networkBytesReceived = all.bytesReceived;
    st.viewerFramesDropped = all.viewerDrops;
  }
  return st;
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

void Stream::onProcessedFrame(BufferPtr buf, const GstVideoInfo& info) noexcept {
  fps_.frame();
  events_.frameProduced();
  for (auto& slot : encoders_)
    if (auto enc = slot.load()) enc->push(BufferPtr(gst_buffer_ref(buf.get())), info);
}

void Stream::onPublisherVideo(GstSample* s) noexcept {
  latency_.frameDecoded(runningTimeOf(s));
  fpsIn_.frame();
  video_->submit(s);
}

void Stream::onEncoded(VideoCodec codec, GstSample* s) noexcept {
  latency_.frameEncoded(runningTimeOf(s));
  const auto viewers = videoFanout_[static_cast<int>(codec)].load();
  for (const auto& v : *viewers) v->onVideo(s);
}

void Stream::onPublisherAudio(GstSample* s) noexcept {
  if (audioProcessing_.load(std::memory_order_relaxed)) {
    if (auto a = audio_.load()) return a->push(s);
  }
  fanOutAudio(s);
}

void Stream::fanOutAudio(GstSample* s) noexcept {
  const auto viewers = audioFanout_.load();
  for (const auto& v : *viewers) v->onAudio(s);
}

void Stream::shutdown() {
  // Joins the worker (no more frames reach the encoders) but keeps the processor: stats() may be
  // read by a status request while the stream ends (it was reset here once, and such a read
  // dereferenced null).
  video_->stop();
  for (auto& slot : encoders_)
    if (auto enc = slot.exchange(nullptr)) enc->stop();
  if (auto a = audio_.exchange(nullptr)) a->stop();
  events_.shutdown();
}

}  // namespace cs
