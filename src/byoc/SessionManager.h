#pragma once
// The BYOC sessions of this worker: the records (in memory, written through to SessionStore),
// the media each one holds in the StreamRegistry (a publisher and/or viewers), capacity per
// capability, and a sweeper thread that notices ended media, expires idle sessions and forgets
// old ended ones.
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "byoc/ByocSession.h"
#include "byoc/ByocSettings.h"
#include "byoc/SessionStore.h"
#include "byoc/ByocMedia.h"

namespace cs {

class SessionManager {
 public:
  using Clock = std::chrono::steady_clock;

  SessionManager(ByocMedia& registry, ByocSettings settings);
  ~SessionManager();
  SessionManager(const SessionManager&) = delete;
  SessionManager& operator=(const SessionManager&) = delete;

  // Loads the sessions of an earlier run when the store exists (sessions whose media was live
  // are ended with the reason) and starts the sweeper.
  void start();
  // Ends every live session ("server shut down"), frees its media, stops the sweeper.
  void shutdown();

  // A capacity slot for one new session of a capability, held while the job negotiates. Given
  // back when destroyed unless add() consumed it.
  class Slot {
   public:
    Slot(Slot&& o) noexcept : owner_(o.owner_), cap_(o.cap_) { o.owner_ = nullptr; }
    Slot& operator=(Slot&&) = delete;
    ~Slot();

   private:
    friend class SessionManager;
    Slot(SessionManager* owner, Capability cap) : owner_(owner), cap_(cap) {}
    SessionManager* owner_;
    Capability cap_;
  };
  // Throws ControlError(Capacity) when the capability already has --capacity live sessions.
  Slot reserve(Capability cap);

  // Records a new session (written to the store before this returns) with the registry ids of
  // the media it already holds. Throws ControlError(Internal) when it cannot be stored (or the
  // store cannot be opened); the caller then frees the media.
  void add(Slot& slot, ByocSession session, const std::string& publisherId = {},
           const std::string& viewerId = {});

  // Throws ControlError(Internal) for an id it does not know while the sessions of an earlier
  // run could not be read (the session may exist in the store: a 404 would be a lie).
  std::optional<ByocSession> get(const std::string& id) const;
  // GET /byoc-stats: {id: {created_at, capability, status, has_result, has_error}}.
  nlohmann::json statsJson() const;
  // The stream a whep-subscribe job may view for a session: its own stream. Throws
  // ControlError(NotFound) for an unknown or ended session, or one without a stream.
  std::string viewableStream(const std::string& sessionId) const;

  // The session's own WHIP / WHEP endpoints (comfystream-video; WHEP also whip-ingest).
  // Throw ControlError / WorkflowError as StreamRegistry does, NotFound for a bad session.
  WebRtcGateway::Created publish(const std::string& sessionId, const std::string& offer);
  WebRtcGateway::Created view(const std::string& sessionId, const std::string& offer);
  void unpublish(const std::string& sessionId, const std::string& publisherId);
  void unview(const std::string& sessionId, const std::string& viewerId);

  // DELETE /byoc/session/{id}: frees the session's media and forgets it. False when unknown.
  // When the removal cannot be stored, the session stays (ended, its media freed: it holds no
  // capacity) and this throws ControlError(Internal); a later DELETE or the retention retries.
  bool cleanup(const std::string& id);

  // Sessions whose latest record is not in the store yet (a write failed; retried by sweep()).
  size_t unsavedCount() const;

  // One pass of the sweeper (also run by its thread every second).
  void sweep();

 private:
  struct Live {
    std::string publisherId;
    Clock::time_point publisherSince{};
    bool publisherConnected = false;
    std::map<std::string, Clock::time_point> viewers;  // id → attached at
    std::map<std::string, bool> viewerConnected;
    uint64_t frames = 0;  // media frames seen (in + out), to tell idle from busy
    Clock::time_point lastActivity = Clock::now();
    Clock::time_point createdAt = Clock::now();
    bool everConnected = false;  // a peer of the session connected (or media flowed) once
    int pending = 0;             // endpoint requests negotiating right now
  };
  struct Entry {
    ByocSession record;
    Live live;
  };
  struct Media {
    std::string publisherId;
    std::vector<std::string> viewerIds;
  };

  // The store, opened on first use; null (error in storeError_) while it cannot be opened, in
  // which case the next call tries again (at most every few seconds).
  SessionStore* storeLocked();
  // The store, or ControlError(Internal) naming why there is none (or why the sessions of an
  // earlier run could not be read).
  SessionStore& requireStoreLocked();
  // Reads the sessions of an earlier run. False (logged, retried by sweep) when it cannot.
  bool loadLocked();
  // Writes a record the sweeper changed; on failure logs and remembers it (unsaved_) for retry.
  void persistLocked(const ByocSession& s);
  // Forgets one session from memory and the store; keeps it (unsaved_) when the store failed.
  bool forgetLocked(const std::string& id);
  void retryUnsavedLocked();
  Entry& liveEntryLocked(const std::string& id, const char* what);
  Media takeMediaLocked(Entry& e);
  void freeMedia(const Media& m);
  // Ends a live session (terminal status, reason), frees its media. False when not live.
  bool endSession(const std::string& id, SessionStatus status, const std::string& reason);
  unsigned liveCountLocked(Capability cap) const;
  void run();

  ByocMedia& registry_;
  const ByocSettings settings_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> sessions_;
  std::map<Capability, unsigned> reserved_;
  std::unique_ptr<SessionStore> store_;
  std::string storeError_;                   // why the store could not be opened (last try)
  Clock::time_point storeRetryAt_{};         // no new open attempt before this
  bool loaded_ = true;                       // false while an existing store could not be read
  std::set<std::string> unsaved_;            // ids whose latest record the store lacks

  std::mutex runMu_;
  std::condition_variable runCv_;
  bool stopping_ = false;
  std::thread sweeper_;
};

}  // namespace cs
