#include "stream/StreamRegistry.h"

#include <spdlog/spdlog.h>

#include "util/ControlError.h"
#include "util/LogEscape.h"
#include "util/Utf8.h"

namespace cs {
namespace {

double unixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

void validateStreamId(const std::string& streamId) {
  if (!isSafeIdentifier(streamId, kMaxStreamIdBytes))
    throw ControlError(ErrorKind::BadRequest, "invalid stream id '" + logSafe(streamId, 64) +
                                                  "': 1-" + std::to_string(kMaxStreamIdBytes) +
                                                  " bytes of UTF-8 without control characters");
}

StreamRegistry::Reservation::Reservation(Reservation&& o) noexcept
    : owner_(o.owner_),
      stream_(std::move(o.stream_)),
      publisher_(o.publisher_),
      viewers_(o.viewers_) {
  o.owner_ = nullptr;
}

StreamRegistry::Reservation::~Reservation() {
  if (owner_) owner_->release(*this);
}

StreamRegistry::StreamRegistry(RegistrySettings settings, MainLoop& loop)
    : settings_(std::move(settings)), loop_(loop) {
  loop_.every(std::chrono::seconds(1), [this, alive = std::weak_ptr<bool>(alive_)] {
    if (alive.expired()) return false;
    sweep();
    return true;
  });
}

StreamRegistry::~StreamRegistry() {
  shutdown();
}

StreamRegistry::Entry& StreamRegistry::entryLocked(const std::string& streamId) {
  Entry& e = streams_[streamId];
  if (!e.stream) e.stream = std::make_shared<Stream>(streamId, settings_.videoBitrate, loop_);
  return e;
}

unsigned StreamRegistry::publishedCountLocked() const {
  unsigned n = 0;
  for (const auto& [_, e] : streams_) n += e.hasPublisher() ? 1 : 0;
  return n;
}

StreamRegistry::Reservation StreamRegistry::reservePublisher(const std::string& streamId) {
  validateStreamId(streamId);
  std::string displaced;
  std::optional<Reservation> reservation;
  {
    std::lock_guard lock(mu_);
    auto it = streams_.find(streamId);
    if (it != streams_.end() && it->second.hasPublisher()) {
      displaced = takeoverCandidateLocked(it->second, streamId);
    } else if (const unsigned live = publishedCountLocked(); live >= settings_.maxStreams) {
      throw ControlError(ErrorKind::Capacity, "the server already carries " + std::to_string(live) +
                                                  " streams (--max-streams)");
    }
    Entry& e = entryLocked(streamId);
    e.publisherReserved = true;
    reservation.emplace(Reservation(this, e.stream, true, 0));
  }
  // The reservation keeps the stream (and its viewers, encoders, recordings) while the old
  // publisher goes; its pipeline stops on the main loop, never on this thread.
  if (!displaced.empty())
    loop_.invokeSync([&] { removePublisher(displaced, "taken over by a new publisher"); });
  return std::move(*reservation);
}

std::string StreamRegistry::takeoverCandidateLocked(const Entry& e,
                                                    const std::string& streamId) const {
  // A publisher still negotiating has no media to lose yet, but ending it would race its own
  // set-up; it is answered or gone within a second.
  if (e.publisherReserved)
    throw ControlError(ErrorKind::Conflict,
                       "stream '" + logSafe(streamId) + "' has a publisher being set up", 1);
  std::shared_ptr<Publisher> current;
  for (const auto& [_, p] : publishers_)
    if (p->streamId() == streamId) current = p;
  if (!current)
    throw ControlError(ErrorKind::Conflict,
                       "stream '" + logSafe(streamId) + "' already has a publisher", 1);
  const auto last = current->lastActivity();
  const auto quiet = std::max(std::chrono::steady_clock::duration::zero(),
                              std::chrono::steady_clock::now() - last);
  const bool idle =
      current->state() != ConnectionState::Connected || quiet >= settings_.takeoverIdle;
  if (settings_.takeover == PublisherTakeover::Always ||
      (settings_.takeover == PublisherTakeover::Idle && idle))
    return current->id();
  // When the refusal will pass at the soonest: the watchdog ends a silent publisher after
  // --silence-timeout; under `idle`, a quiet one becomes replaceable after takeoverIdle.
  const auto until = settings_.takeover == PublisherTakeover::Idle
                         ? settings_.takeoverIdle - quiet
                         : settings_.silenceTimeout - quiet;
  const auto seconds = std::chrono::ceil<std::chrono::seconds>(until).count();
  throw ControlError(ErrorKind::Conflict,
                     "stream '" + logSafe(streamId) + "' already has a publisher",
                     static_cast<unsigned>(std::max<decltype(seconds)>(1, seconds)));
}

StreamRegistry::Reservation StreamRegistry::reserveViewer(const std::string& streamId) {
  validateStreamId(streamId);
  std::lock_guard lock(mu_);
  auto it = streams_.find(streamId);
  // WHEP §4.3.8: no live publication → 409 with Retry-After, never 404.
  if (it == streams_.end() || !it->second.stream->hasPublisher())
    throw ControlError(ErrorKind::NoPublisher,
                       "stream '" + logSafe(streamId) + "' has no publisher");
  Entry& e = it->second;
  if (e.stream->viewerCount() + e.viewersReserved >= settings_.maxViewers)
    throw ControlError(ErrorKind::Capacity, "stream '" + logSafe(streamId) + "' already has " +
                                                std::to_string(settings_.maxViewers) +
                                                " viewers (--max-viewers)");
  ++e.viewersReserved;
  return Reservation(this, e.stream, false, 1);
}

StreamRegistry::Reservation StreamRegistry::reserveDuplex(const std::string& streamId) {
  Reservation r = reservePublisher(streamId);
  std::lock_guard lock(mu_);
  ++streams_.at(streamId).viewersReserved;
  r.viewers_ = 1;
  return r;
}

void StreamRegistry::release(Reservation& r) noexcept {
  std::vector<std::shared_ptr<Stream>> retired;
  {
    std::lock_guard lock(mu_);
    auto it = streams_.find(r.stream_->id());
    if (it == streams_.end() || it->second.stream != r.stream_) return;
    if (r.publisher_) it->second.publisherReserved = false;
    it->second.viewersReserved -= std::min(it->second.viewersReserved, r.viewers_);
    retireIfEmptyLocked(r.stream_->id(), retired);
  }
  r.publisher_ = false;
  r.viewers_ = 0;
  shutdownStreams(retired);
}

void StreamRegistry::retireIfEmptyLocked(const std::string& streamId,
                                         std::vector<std::shared_ptr<Stream>>& retired) {
  auto it = streams_.find(streamId);
  if (it == streams_.end()) return;
  const Entry& e = it->second;
  if (e.hasPublisher() || e.viewersReserved > 0 || e.stream->viewerCount() > 0) return;
  retired.push_back(e.stream);
  streams_.erase(it);
}

void StreamRegistry::shutdownStreams(std::vector<std::shared_ptr<Stream>>& retired) {
  if (retired.empty()) return;
  loop_.invokeSync([&] {
    for (auto& s : retired) s->shutdown();
  });
}

void StreamRegistry::checkPending(const std::string& clientAddress) const {
  if (clientAddress.empty() || settings_.maxPendingPerAddress == 0) return;
  const auto pending = [&](const Session& s) {
    return s.info().clientAddress == clientAddress && s.state() != ConnectionState::Connected;
  };
  unsigned n = 0;
  {
    std::lock_guard lock(mu_);
    for (const auto& [_, p] : publishers_) n += pending(*p) ? 1 : 0;
    // An /offer session is a publisher and a viewer on one connection: count it once.
    for (const auto& [_, v] : viewers_) n += pending(*v) && v->info().pairedId.empty() ? 1 : 0;
  }
  if (n >= settings_.maxPendingPerAddress)
    throw ControlError(ErrorKind::TooManyRequests,
                       "this address already has " + std::to_string(n) +
                           " sessions whose media has not connected (--max-pending-per-ip)");
}

void StreamRegistry::attachPublisher(Reservation& r, std::shared_ptr<Publisher> p) {
  {
    std::lock_guard lock(mu_);
    Entry& e = streams_.at(r.stream_->id());
    publishers_[p->id()] = p;
    e.publisherReserved = false;
    r.publisher_ = false;
  }
  r.stream_->attachPublisher(p);
  p->onEnded([this, id = p->id(), alive = std::weak_ptr<bool>(alive_)](const std::string& why) {
    loop_.post([this, id, alive, why] {
      if (!alive.expired()) removePublisher(id, why);
    });
  });
}

void StreamRegistry::attachViewer(Reservation& r, std::shared_ptr<Viewer> v) {
  r.stream_->addViewer(v);  // may throw (its encoder cannot start): the reservation is kept
  {
    std::lock_guard lock(mu_);
    Entry& e = streams_.at(r.stream_->id());
    viewers_[v->id()] = v;
    if (e.viewersReserved) --e.viewersReserved;
    if (r.viewers_) --r.viewers_;
  }
  v->onEnded([this, id = v->id(), alive = std::weak_ptr<bool>(alive_)](const std::string& why) {
    loop_.post([this, id, alive, why] {
      if (!alive.expired()) removeViewer(id, why);
    });
  });
}

void StreamRegistry::endPublisher(const std::string& id) {
  bool found = false;
  loop_.invokeSync([&] { found = removePublisher(id, "DELETE"); });
  if (!found) throw ControlError(ErrorKind::NotFound, "no publisher session '" + logSafe(id) + "'");
}

void StreamRegistry::endViewer(const std::string& id) {
  bool found = false;
  loop_.invokeSync([&] { found = removeViewer(id, "DELETE"); });
  if (!found) throw ControlError(ErrorKind::NotFound, "no viewer session '" + logSafe(id) + "'");
}

bool StreamRegistry::removePublisher(const std::string& id, const std::string& reason) {
  std::shared_ptr<Publisher> pub;
  std::vector<std::shared_ptr<Stream>> retired;
  {
    std::lock_guard lock(mu_);
    auto it = publishers_.find(id);
    if (it == publishers_.end()) return false;
    pub = std::move(it->second);
    publishers_.erase(it);
    if (auto s = streams_.find(pub->streamId()); s != streams_.end()) {
      s->second.stream->detachPublisher(id);
      retireIfEmptyLocked(pub->streamId(), retired);
    }
  }
  pub->stop();
  if (!pub->info().pairedId.empty()) removeViewer(pub->info().pairedId, reason);
  for (auto& r : retired) r->shutdown();
  spdlog::info("stream {}: publisher {} ended ({})", logSafe(pub->streamId()), id, reason);
  return true;
}

bool StreamRegistry::removeViewer(const std::string& id, const std::string& reason) {
  std::shared_ptr<Viewer> viewer;
  std::vector<std::shared_ptr<Stream>> retired;
  {
    std::lock_guard lock(mu_);
    auto it = viewers_.find(id);
    if (it == viewers_.end()) return false;
    viewer = std::move(it->second);
    viewers_.erase(it);
    if (auto s = streams_.find(viewer->streamId()); s != streams_.end()) {
      s->second.stream->removeViewer(id);
      retireIfEmptyLocked(viewer->streamId(), retired);
    }
  }
  viewer->stop();
  if (!viewer->info().pairedId.empty()) removePublisher(viewer->info().pairedId, reason);
  for (auto& r : retired) r->shutdown();
  spdlog::info("stream {}: viewer {} ended ({})", logSafe(viewer->streamId()), id, reason);
  return true;
}

std::shared_ptr<Stream> StreamRegistry::findStream(const std::string& streamId) const {
  std::lock_guard lock(mu_);
  auto it = streams_.find(streamId);
  return it == streams_.end() ? nullptr : it->second.stream;
}

std::vector<std::shared_ptr<Stream>> StreamRegistry::streams() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<Stream>> out;
  out.reserve(streams_.size());
  for (const auto& [_, e] : streams_) out.push_back(e.stream);
  return out;
}

std::optional<PublisherStats> StreamRegistry::publisherStats(const std::string& id) const {
  std::shared_ptr<Publisher> p;
  {
    std::lock_guard lock(mu_);
    auto it = publishers_.find(id);
    if (it == publishers_.end()) return std::nullopt;
    p = it->second;
  }
  return p->stats();
}

std::optional<ViewerStats> StreamRegistry::viewerStats(const std::string& id) const {
  std::shared_ptr<Viewer> v;
  {
    std::lock_guard lock(mu_);
    auto it = viewers_.find(id);
    if (it == viewers_.end()) return std::nullopt;
    v = it->second;
  }
  return v->stats();
}

std::shared_ptr<Publisher> StreamRegistry::findPublisher(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = publishers_.find(id);
  return it == publishers_.end() ? nullptr : it->second;
}

std::shared_ptr<Viewer> StreamRegistry::findViewer(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = viewers_.find(id);
  return it == viewers_.end() ? nullptr : it->second;
}

std::vector<PublisherStats> StreamRegistry::publishers() const {
  std::vector<std::shared_ptr<Publisher>> all;
  {
    std::lock_guard lock(mu_);
    for (const auto& [_, p] : publishers_) all.push_back(p);
  }
  std::vector<PublisherStats> out;
  out.reserve(all.size());
  for (const auto& p : all) out.push_back(p->stats());
  return out;
}

std::vector<ViewerStats> StreamRegistry::viewers() const {
  std::vector<std::shared_ptr<Viewer>> all;
  {
    std::lock_guard lock(mu_);
    for (const auto& [_, v] : viewers_) all.push_back(v);
  }
  std::vector<ViewerStats> out;
  out.reserve(all.size());
  for (const auto& v : all) out.push_back(v->stats());
  return out;
}

void StreamRegistry::sweep() {
  const double now = unixNow();
  const auto cutoff = std::chrono::steady_clock::now() - settings_.silenceTimeout;
  std::vector<std::string> silentPublishers, silentViewers;
  {
    std::lock_guard lock(mu_);
    for (const auto& [_, e] : streams_) e.stream->sampleFps(now);
    for (const auto& [id, p] : publishers_)
      if (p->lastActivity() < cutoff) silentPublishers.push_back(id);
    for (const auto& [id, v] : viewers_)
      if (v->lastActivity() < cutoff) silentViewers.push_back(id);
  }
  for (const auto& id : silentPublishers) removePublisher(id, "peer went silent");
  for (const auto& id : silentViewers) removeViewer(id, "peer went silent");
}

void StreamRegistry::shutdown() {
  if (!alive_) return;
  *alive_ = false;
  loop_.invokeSync([&] {
    std::vector<std::string> pubs, views;
    {
      std::lock_guard lock(mu_);
      for (const auto& [id, _] : publishers_) pubs.push_back(id);
      for (const auto& [id, _] : viewers_) views.push_back(id);
    }
    for (const auto& id : views) removeViewer(id, "shutdown");
    for (const auto& id : pubs) removePublisher(id, "shutdown");
    std::lock_guard lock(mu_);
    for (auto& [_, e] : streams_) e.stream->shutdown();
    streams_.clear();
  });
  alive_.reset();
}

}  // namespace cs
