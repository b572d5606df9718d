#include "stream/Stream.h"

#include <spdlog/spdlog.h>

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
      id_, [this](GstBuffer* b, const GstVideoInfo& i) { onProcessedFrame(b, i); });
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
  spdlog::info("stream {}: started the {} encoder", id_, toString(codec));
}

void Stream::requestKeyframe(VideoCodec codec) noexcept {
  if (auto enc = encoders_[static_cast<int>(codec)].load()) enc->requestKeyframe();
}

void Stream::onProcessedFrame(GstBuffer* buf, const GstVideoInfo& info) noexcept {
  for (auto& slot : encoders_)
    if (auto enc = slot.load()) enc->push(gst_buffer_ref(buf), info);
  gst_buffer_unref(buf);
}

namespace {
GstClockTime runningTimeOf(GstSample* s) {
  const GstBuffer* b = gst_sample_get_buffer(s);
  const GstSegment* seg = gst_sample_get_segment(s);
  return seg ? gst_segment_to_running_time(seg, GST_FORMAT_TIME, GST_BUFFER_PTS(b))
             : GST_BUFFER_PTS(b);
}
}  // namespace

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
  const auto viewers = audioFanout_.load();
  for (const auto& v : *viewers) v->peer->pushAudio(s);
}

void Stream::shutdown() {
  if (pipeline_) pipeline_.reset();  // joins the worker: no more frames reach the encoders
  for (auto& slot : encoders_)
    if (auto enc = slot.exchange(nullptr)) enc->stop();
}

}  // namespace cs
