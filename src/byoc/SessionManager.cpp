#include "byoc/SessionManager.h"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "util/ControlError.h"
#include "util/LogEscape.h"
#include "util/RateLimitedLog.h"

namespace cs {
namespace {

// A comfystream-video session made for a clip (media_data): JobHandlers marks its result.
bool isClipSession(const ByocSession& s) {
  return s.result.is_object() && s.result.value("clip", false);
}

std::string seconds(std::chrono::seconds s) {
  return std::to_string(s.count()) + " s";
}

}  // namespace

SessionManager::Slot::~Slot() {
  if (!owner_) return;
  std::lock_guard lock(owner_->mu_);
  --owner_->reserved_[cap_];
}

SessionManager::SessionManager(MediaHost& media, ByocSettings settings, SessionClocks clocks)
    : media_(media), settings_(std::move(settings)), clocks_(std::move(clocks)) {}

SessionManager::~SessionManager() {
  shutdown();
}

SessionStore* SessionManager::storeLocked() {
  if (store_) return store_.get();
  const auto now = clocks_.steady();
  if (now < storeRetryAt_) return nullptr;
  try {
    store_ = std::make_unique<SessionStore>(settings_.stateDir);
    storeError_.clear();
    spdlog::info("BYOC: sessions are stored in {}", store_->path().string());
  } catch (const StoreError& e) {
    storeRetryAt_ = now + std::chrono::seconds(2);
    if (storeError_ != e.what())
      spdlog::error(
          "BYOC: cannot open the session store (new sessions are refused until it "
          "opens; retried): {}",
          e.what());
    storeError_ = e.what();
  }
  return store_.get();
}

SessionStore& SessionManager::requireStoreLocked() {
  auto* store = storeLocked();
  if (!store)
    throw ControlError(ErrorKind::Internal,
                       "the BYOC session store is unavailable: " + storeError_);
  if (!loaded_)
    throw ControlError(ErrorKind::Internal,
                       "the BYOC sessions of an earlier run could not be read yet: " + storeError_);
  return *store;
}

void SessionManager::persistLocked(const ByocSession& s) {
  static LogLimiter limiter;
  std::string why;
  try {
    if (auto* store = storeLocked()) {
      store->put(s);
      unsaved_.erase(s.id);
      return;
    }
    why = "the store is unavailable: " + storeError_;
  } catch (const StoreError& e) {
    why = e.what();
  }
  unsaved_.insert(s.id);
  if (const auto n = limiter.admit())
    spdlog::error("BYOC: cannot store session {} ({} failures; kept in memory, retried): {}", s.id,
                  n, why);
}

void SessionManager::retryUnsavedLocked() {
  auto* store = storeLocked();
  if (!store) return;
  try {
    store->transaction([&] {
      for (const auto& id : unsaved_)
        if (auto it = sessions_.find(id); it != sessions_.end()) store->put(it->second.record);
    });
    spdlog::info("BYOC: stored {} session record(s) that an earlier write had failed to store",
                 unsaved_.size());
    unsaved_.clear();
  } catch (const StoreError& e) {
    static LogLimiter limiter;
    if (const auto n = limiter.admit())
      spdlog::error("BYOC: {} session record(s) still not stored ({} tries): {}", unsaved_.size(),
                    n, e.what());
  }
}

bool SessionManager::forgetLocked(const std::string& id) {
  try {
    requireStoreLocked().remove(id);
  } catch (const std::exception& e) {  // StoreError, or ControlError: no store
    static LogLimiter limiter;
    if (const auto n = limiter.admit())
      spdlog::error(
          "BYOC: cannot remove session {} from the store ({} failures; kept, retried): {}", id, n,
          e.what());
    return false;
  }
  sessions_.erase(id);
  unsaved_.erase(id);
  return true;
}

bool SessionManager::loadLocked() {
  auto* store = storeLocked();
  if (!store) {
    loaded_ = false;
    return false;
  }
  std::vector<ByocSession> loaded;
  try {
    loaded = store->loadAll();
  } catch (const StoreError& e) {
    // Never taken for "no sessions": ids of this store answer 500 until it reads.
    if (loaded_ || storeError_ != e.what())
      spdlog::error("BYOC: cannot read the earlier sessions (retried): {}", e.what());
    loaded_ = false;
    storeError_ = e.what();
    return false;
  }
  loaded_ = true;
  storeError_.clear();
  const double now = clocks_.wall();
  std::vector<std::string> ended;
  size_t added = 0;
  for (auto& s : loaded) {
    if (sessions_.contains(s.id)) continue;
    if (!s.ended() && isClipSession(s)) {
      // Its clip job died with the previous process, and its files were removed at start-up.
      s.end(SessionStatus::Failed, "interrupted by restart", now);
      ended.push_back(s.id);
      unsaved_.insert(s.id);
    } else if (!s.ended()) {
      // The previous process did not shut down cleanly (a clean shutdown ends every session):
      // its peers and pipelines died with it.
      s.end(SessionStatus::Failed, "media ended: the server stopped without shutting down cleanly",
            now);
      ended.push_back(s.id);
      unsaved_.insert(s.id);
    }
    Entry e;
    e.record = std::move(s);
    e.live.everConnected = true;
    sessions_.emplace(e.record.id, std::move(e));
    ++added;
  }
  if (!ended.empty()) {
    try {
      store->transaction([&] {
        for (const auto& id : ended) store->put(sessions_.at(id).record);
      });
      for (const auto& id : ended) unsaved_.erase(id);
    } catch (const StoreError& e) {
      // A full disk or a read-only store: the sessions still answer (ended, from memory).
      spdlog::error(
          "BYOC: cannot store that {} earlier session(s) ended (kept in memory, "
          "retried): {}",
          ended.size(), e.what());
    }
  }
  spdlog::info("BYOC: loaded {} earlier session(s) from {} ({} had live media, now ended){}", added,
               store->path().string(), ended.size(), store->writable() ? "" : " [read-only store]");
  return true;
}

void SessionManager::start() {
  {
    std::lock_guard lock(mu_);
    // Open the store now only if an earlier run left one; otherwise on the first session, so a
    // server that never serves a BYOC job writes nothing.
    if (std::filesystem::exists(SessionStore::databasePath(settings_.stateDir))) loadLocked();
  }
}

void SessionManager::shutdown() {
  std::vector<std::string> live, clips;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, e] : sessions_)
      if (!e.record.ended()) (isClipSession(e.record) ? clips : live).push_back(id);
  }
  for (const auto& id : live) endSession(id, SessionStatus::Completed, "server shut down");
  // Its clip job is cancelled next (main): the clip was not processed.
  for (const auto& id : clips)
    endSession(id, SessionStatus::Failed, "interrupted: the server shut down");
  if (!live.empty()) spdlog::info("BYOC: ended {} live session(s) at shutdown", live.size());
}

unsigned SessionManager::liveCountLocked(Capability cap) const {
  unsigned n = 0;
  for (const auto& [_, e] : sessions_)
    if (e.record.capability == cap && !e.record.ended()) ++n;
  auto it = reserved_.find(cap);
  return n + (it == reserved_.end() ? 0 : it->second);
}

SessionManager::Slot SessionManager::reserve(Capability cap) {
  std::lock_guard lock(mu_);
  const unsigned n = liveCountLocked(cap);
  if (n >= settings_.capacity)
    throw ControlError(ErrorKind::Capacity,
                       "capability '" + std::string(capabilityName(cap)) + "' is at capacity (" +
                           std::to_string(settings_.capacity) + " live sessions, --capacity)");
  ++reserved_[cap];
  return Slot(this, cap);
}

void SessionManager::add(Slot& slot, ByocSession session, const std::string& publisherId,
                         const std::string& viewerId, std::shared_ptr<GraphWorkflow> compiled) {
  std::lock_guard lock(mu_);
  if (slot.owner_) {
    --reserved_[slot.cap_];
    slot.owner_ = nullptr;
  }
  try {
    requireStoreLocked().put(session);
  } catch (const StoreError& e) {
    throw ControlError(ErrorKind::Internal, std::string("cannot store the session: ") + e.what());
  }
  Entry e;
  e.record = std::move(session);
  const auto now = clocks_.steady();
  e.live.createdAt = now;
  e.live.publisherId = publisherId;
  if (!viewerId.empty()) e.live.viewers[viewerId] = false;
  e.live.lastActivity = now;
  e.live.compiled = std::move(compiled);
  const std::string id = e.record.id;
  spdlog::info("BYOC: session {} created ({}, status {}, stream {})", id,
               capabilityName(e.record.capability), toString(e.record.status),
               logSafe(e.record.streamId));
  sessions_.emplace(id, std::move(e));
}

std::optional<ByocSession> SessionManager::get(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(id);
  if (it != sessions_.end()) return it->second.record;
  if (!loaded_)
    throw ControlError(ErrorKind::Internal, "the BYOC session store could not be read (" +
                                                storeError_ + "): session '" + id +
                                                "' may exist there");
  return std::nullopt;
}

size_t SessionManager::unsavedCount() const {
  std::lock_guard lock(mu_);
  return unsaved_.size();
}

std::map<std::pair<Capability, SessionStatus>, unsigned> SessionManager::countByStatus() const {
  std::lock_guard lock(mu_);
  std::map<std::pair<Capability, SessionStatus>, unsigned> out;
  for (const auto& [_, e] : sessions_) ++out[{e.record.capability, e.record.status}];
  return out;
}

nlohmann::json SessionManager::statsJson() const {
  std::lock_guard lock(mu_);
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [id, e] : sessions_) out[id] = e.record.statsJson();
  return out;
}

SessionManager::Entry& SessionManager::liveEntryLocked(const std::string& id, const char* what) {
  auto it = sessions_.find(id);
  if (it == sessions_.end())
    throw ControlError(ErrorKind::NotFound, "no BYOC session '" + id + "'");
  Entry& e = it->second;
  if (e.record.ended())
    throw ControlError(ErrorKind::NotFound,
                       "BYOC session '" + id + "' has ended (" + e.record.endedReason + ")");
  const Capability cap = e.record.capability;
  const bool ok = std::string_view(what) == "WHIP"
                      ? cap == Capability::Video
                      : cap == Capability::Video || cap == Capability::WhipIngest;
  if (!ok)
    throw ControlError(ErrorKind::NotFound, "BYOC session '" + id + "' (" +
                                                std::string(capabilityName(cap)) + ") has no " +
                                                what + " endpoint");
  return e;
}

std::string SessionManager::viewableStream(const std::string& sessionId) const {
  std::lock_guard lock(mu_);
  auto& e = const_cast<SessionManager*>(this)->liveEntryLocked(sessionId, "WHEP");
  return e.record.streamId;
}

MediaHost::Answered SessionManager::publish(const std::string& sessionId,
                                            const std::string& offer) {
  std::string streamId;
  nlohmann::json prompts;
  int width, height;
  std::shared_ptr<GraphWorkflow> compiled;
  {
    std::lock_guard lock(mu_);
    Entry& e = liveEntryLocked(sessionId, "WHIP");
    compiled = std::move(e.live.compiled);
    streamId = e.record.streamId;
    prompts = e.record.prompts;
    width = e.record.width;
    height = e.record.height;
    ++e.live.pending;
  }
  MediaHost::Answered created;
  std::string failure;
  try {
    created = media_.publish(streamId, prompts, offer, width, height, std::move(compiled));
  } catch (...) {
    std::lock_guard lock(mu_);
    if (auto it = sessions_.find(sessionId); it != sessions_.end()) --it->second.live.pending;
    throw;
  }
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(sessionId);
    if (it != sessions_.end()) --it->second.live.pending;
    if (it != sessions_.end() && !it->second.record.ended()) {
      Entry& e = it->second;
      const ByocSession before = e.record;
      e.record.transition(SessionStatus::Processing, clocks_.wall());
      try {
        requireStoreLocked().put(e.record);
      } catch (const std::exception& x) {  // StoreError, or ControlError: no store
        e.record = before;
        failure = x.what();
      }
      if (failure.empty()) {
        unsaved_.erase(sessionId);
        e.live.publisherId = created.id;
        e.live.publisherConnected = false;
        e.live.lastActivity = clocks_.steady();
        spdlog::info("BYOC: session {} publishing (WHIP session {})", sessionId, created.id);
        return created;
      }
    }
  }
  // Ended or cleaned up while the offer was negotiated, or its new status could not be stored:
  // do not leave the publisher behind.
  freeMedia({created.id, {}});
  if (!failure.empty()) {
    spdlog::error("BYOC: session {}: publisher refused, its status cannot be stored: {}", sessionId,
                  failure);
    throw ControlError(ErrorKind::Internal,
                       "cannot store the session's new status (publisher refused): " + failure);
  }
  throw ControlError(ErrorKind::NotFound, "BYOC session '" + sessionId + "' ended meanwhile");
}

MediaHost::Answered SessionManager::view(const std::string& sessionId, const std::string& offer) {
  std::string streamId;
  {
    std::lock_guard lock(mu_);
    Entry& e = liveEntryLocked(sessionId, "WHEP");
    streamId = e.record.streamId;
    ++e.live.pending;
  }
  MediaHost::Answered created;
  try {
    created = media_.view(streamId, offer);
  } catch (...) {
    std::lock_guard lock(mu_);
    if (auto it = sessions_.find(sessionId); it != sessions_.end()) --it->second.live.pending;
    throw;
  }
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(sessionId);
    if (it != sessions_.end()) --it->second.live.pending;
    if (it != sessions_.end() && !it->second.record.ended()) {
      it->second.live.viewers[created.id] = false;
      it->second.live.lastActivity = clocks_.steady();
      spdlog::info("BYOC: session {} viewer added (WHEP session {})", sessionId, created.id);
      return created;
    }
  }
  freeMedia({{}, {created.id}});
  throw ControlError(ErrorKind::NotFound, "BYOC session '" + sessionId + "' ended meanwhile");
}

void SessionManager::unpublish(const std::string& sessionId, const std::string& publisherId) {
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(sessionId);
    if (it == sessions_.end() || it->second.live.publisherId != publisherId)
      throw ControlError(ErrorKind::NotFound, "no WHIP session '" + publisherId +
                                                  "' in BYOC session '" + sessionId + "'");
  }
  media_.endPublisher(publisherId);  // false: already gone; the state below still applies
  std::lock_guard lock(mu_);
  auto it = sessions_.find(sessionId);
  if (it == sessions_.end() || it->second.live.publisherId != publisherId) return;
  Entry& e = it->second;
  e.live.publisherId.clear();
  e.live.lastActivity = clocks_.steady();
  if (e.record.status == SessionStatus::Processing) {
    e.record.transition(SessionStatus::Ready, clocks_.wall());
    persistLocked(e.record);
    if (unsaved_.contains(sessionId))
      throw ControlError(ErrorKind::Internal,
                         "the publisher stopped, but the session's status could not be stored "
                         "(retried): " +
                             (storeError_.empty() ? std::string("write failed") : storeError_));
  }
}

void SessionManager::unview(const std::string& sessionId, const std::string& viewerId) {
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(sessionId);
    if (it == sessions_.end() || !it->second.live.viewers.contains(viewerId))
      throw ControlError(ErrorKind::NotFound,
                         "no WHEP session '" + viewerId + "' in BYOC session '" + sessionId + "'");
  }
  media_.endViewer(viewerId);  // false: already gone
  std::lock_guard lock(mu_);
  if (auto it = sessions_.find(sessionId); it != sessions_.end()) {
    it->second.live.viewers.erase(viewerId);
    it->second.live.lastActivity = clocks_.steady();
  }
}

SessionManager::Media SessionManager::takeMediaLocked(Entry& e) {
  Media m;
  m.publisherId = std::move(e.live.publisherId);
  e.live.publisherId.clear();
  for (const auto& [id, _] : e.live.viewers) m.viewerIds.push_back(id);
  e.live.viewers.clear();
  return m;
}

void SessionManager::freeMedia(const Media& m) {
  // Viewers first: the stream goes away with its last session. Media that is already gone
  // (DELETEd, silent, failed) answers false; a failure to end one must not keep the others.
  for (const auto& id : m.viewerIds) {
    try {
      media_.endViewer(id);
    } catch (const std::exception& e) {
      spdlog::error("BYOC: cannot end viewer {}: {}", id, e.what());
    }
  }
  if (!m.publisherId.empty()) {
    try {
      media_.endPublisher(m.publisherId);
    } catch (const std::exception& e) {
      spdlog::error("BYOC: cannot end publisher {}: {}", m.publisherId, e.what());
    }
  }
}

bool SessionManager::endClip(const std::string& id, std::optional<SessionStatus> status,
                             const std::string& reason, const nlohmann::json& result) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second.record.ended()) return false;
  ByocSession& r = it->second.record;
  if (!r.result.is_object()) r.result = nlohmann::json::object();
  r.result.update(result);
  if (status) {
    r.end(*status, reason, clocks_.wall());
    spdlog::info("BYOC: session {} {}: {}", id, toString(*status), reason);
  }
  persistLocked(r);
  return true;
}

bool SessionManager::endSession(const std::string& id, SessionStatus status,
                                const std::string& reason) {
  Media media;
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(id);
    if (it == sessions_.end() || it->second.record.ended()) return false;
    Entry& e = it->second;
    media = takeMediaLocked(e);
    e.record.end(status, reason, clocks_.wall());
    persistLocked(e.record);
  }
  spdlog::info("BYOC: session {} {}: {}", id, toString(status), reason);
  freeMedia(media);
  return true;
}

bool SessionManager::cleanup(const std::string& id) {
  Media media;
  std::string failure;
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) {
      if (!loaded_)
        throw ControlError(ErrorKind::Internal, "the BYOC session store could not be read (" +
                                                    storeError_ + "): session '" + id +
                                                    "' may exist there");
      return false;
    }
    media = takeMediaLocked(it->second);
    try {
      requireStoreLocked().remove(id);
      sessions_.erase(it);
      unsaved_.erase(id);
    } catch (const std::exception& e) {  // StoreError, or ControlError: no store
      failure = e.what();
      // Not forgotten: it would come back after a restart. Its media goes (it was asked to),
      // so the session ends and holds no capacity; a later DELETE or the retention retries.
      Entry& e2 = it->second;
      if (!e2.record.ended()) {
        e2.record.end(SessionStatus::Completed,
                      "cleaned up (DELETE), but its deletion could not be stored", clocks_.wall());
        persistLocked(e2.record);
      }
    }
  }
  freeMedia(media);
  if (!failure.empty()) {
    spdlog::error("BYOC: session {}: its media was freed but its deletion could not be stored: {}",
                  id, failure);
    throw ControlError(ErrorKind::Internal,
                       "the session's media was freed, but its deletion could not be stored (the "
                       "session is kept, ended; retry the DELETE): " +
                           failure);
  }
  spdlog::info("BYOC: session {} cleaned up", id);
  return true;
}

void SessionManager::sweep() {
  const auto now = clocks_.steady();
  const double wallNow = clocks_.wall();

  struct Ending {
    std::string id;
    SessionStatus status;
    std::string reason;
  };
  std::vector<Ending> ending;
  {
    // The MediaHost is asked under mu_: it never calls into BYOC, so no lock order can invert,
    // and an id seen here is the session's current one (no snapshot to reconcile afterwards).
    std::lock_guard lock(mu_);
    if (!loaded_) loadLocked();
    if (!unsaved_.empty()) retryUnsavedLocked();
    std::vector<std::string> forget;
    for (auto& [id, e] : sessions_) {
      ByocSession& r = e.record;
      if (r.ended()) {
        if (settings_.retention.count() > 0 && r.endedAt &&
            *r.endedAt < wallNow - static_cast<double>(settings_.retention.count()))
          forget.push_back(id);
        continue;
      }
      // A clip session has no peer: its clip job ends it (endClip), not the TTL or the connect
      // timeout.
      if (isClipSession(r)) continue;
      Live& l = e.live;
      uint64_t frames = 0;
      if (!l.publisherId.empty()) {
        if (const auto pub = media_.publisherStats(l.publisherId)) {
          frames += pub->framesReceived;
          l.publisherConnected = l.publisherConnected || pub->framesReceived > 0 ||
                                 pub->state == ConnectionState::Connected;
        } else {
          // The publisher ended without BYOC ending it: DELETE on /whip/{id}, silence or a
          // failed connection.
          const bool connected = l.publisherConnected;
          spdlog::info("BYOC: session {}: publisher {} ended", id, l.publisherId);
          l.publisherId.clear();
          l.lastActivity = now;
          if (r.capability == Capability::Video) {
            if (r.status == SessionStatus::Processing) {
              r.transition(SessionStatus::Ready, wallNow);
              persistLocked(r);
            }
          } else {
            ending.push_back(connected ? Ending{id, SessionStatus::Completed,
                                                "media ended: the publisher disconnected"}
                                       : Ending{id, SessionStatus::Failed,
                                                "media ended: the publisher never connected"});
            continue;
          }
        }
      }
      bool viewerEnded = false;
      for (auto v = l.viewers.begin(); v != l.viewers.end();) {
        if (const auto view = media_.viewerStats(v->first)) {
          frames += view->framesSent;
          if (view->framesSent > 0 || view->state == ConnectionState::Connected) v->second = true;
          ++v;
          continue;
        }
        const bool connected = v->second;
        v = l.viewers.erase(v);
        l.lastActivity = now;
        if (r.capability == Capability::WhepSubscribe && l.viewers.empty()) {
          ending.push_back(
              connected
                  ? Ending{id, SessionStatus::Completed, "media ended: the viewer disconnected"}
                  : Ending{id, SessionStatus::Failed, "media ended: the viewer never connected"});
          viewerEnded = true;
          break;
        }
      }
      if (viewerEnded) continue;
      if (frames > 0 || l.publisherConnected) l.everConnected = true;
      if (r.capability == Capability::WhepSubscribe)
        for (const auto& [_, connected] : l.viewers)
          if (connected) l.everConnected = true;
      if (!l.everConnected && settings_.connectTimeout.count() > 0 &&
          now - l.createdAt >= settings_.connectTimeout) {
        const char* peer = r.capability == Capability::WhepSubscribe ? "viewer" : "publisher";
        ending.push_back({id, SessionStatus::Failed,
                          std::string("no ") + peer + " connected within " +
                              seconds(settings_.connectTimeout) + " (--session-connect-timeout)"});
        continue;
      }
      if (frames != l.frames || l.pending > 0) {
        l.frames = frames;
        l.lastActivity = now;
      }
      if (settings_.sessionTtl.count() > 0 && now - l.lastActivity >= settings_.sessionTtl)
        ending.push_back({id, SessionStatus::Completed,
                          "expired: no media or requests for " + seconds(settings_.sessionTtl) +
                              " (--session-ttl)"});
    }
    for (const auto& id : forget)
      if (!forgetLocked(id)) break;  // the store fails: the next sweep tries again
  }
  for (const auto& x : ending) endSession(x.id, x.status, x.reason);
}

}  // namespace cs
