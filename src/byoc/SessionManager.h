#pragma once
// The BYOC sessions of this worker: the records (in memory, written through to SessionStore),
// the media each one holds through the MediaHost (a publisher and/or viewers), capacity per
// capability, and sweep(), which notices ended media, expires idle sessions and forgets old
// ended ones. It owns no thread: ByocService runs sweep() on the main loop's timer.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "byoc/ByocSession.h"
#include "byoc/ByocSettings.h"
#include "byoc/MediaHost.h"
#include "byoc/SessionStore.h"

namespace cs {

// Where SessionManager reads the time: the steady clock for its deadlines (connect timeout, TTL,
// store retries), the wall clock (seconds since the Unix epoch) for the records' timestamps and
// the retention. Tests drive both by hand.
struct SessionClocks {
  std::function<std::chrono::steady_clock::time_point()> steady = [] {
    return std::chrono::steady_clock::now();
  };
  std::function<double()> wall = [] {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
};

class SessionManager {
 public:
  using Clock = std::chrono::steady_clock;

  SessionManager(MediaHost& media, ByocSettings settings, SessionClocks clocks = {});
  ~SessionManager();
  SessionManager(const SessionManager&) = delete;
  SessionManager& operator=(const SessionManager&) = delete;

  // Loads the sessions of an earlier run when the store exists (sessions whose media was live
  // are ended with the reason).
  void start();
  // Ends every live session ("server shut down") and frees its media. Idempotent.
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

  // Records a new session (written to the store before this returns) with the MediaHost ids of
  // the media it already holds. Throws ControlError(Internal) when it cannot be stored (or the
  // store cannot be opened); the caller then frees the media.
  // `compiled`: the session's workflow as the job compiled it, for its first publisher.
  void add(Slot& slot, ByocSession session, const std::string& publisherId = {},
           const std::string& viewerId = {}, std::shared_ptr<GraphWorkflow> compiled = nullptr);

  // Throws ControlError(Internal) for an id it does not know while the sessions of an earlier
  // run could not be read (the session may exist in the store: a 404 would be a lie).
  std::optional<ByocSession> get(const std::string& id) const;
  // GET /byoc-stats: {id: {created_at, capability, status, has_result, has_error}}.
  nlohmann::json statsJson() const;
  // The stream a whep-subscribe job may view for a session: its own stream. Throws
  // ControlError(NotFound) for an unknown or ended session, or one without a stream.
  std::string viewableStream(const std::string& sessionId) const;

  // The session's own WHIP / WHEP endpoints (comfystream-video; WHEP also whip-ingest).
  // Throw ControlError / WorkflowError as the MediaHost does, NotFound for a bad session.
  MediaHost::Answered publish(const std::string& sessionId, const std::string& offer);
  MediaHost::Answered view(const std::string& sessionId, const std::string& offer);
  void unpublish(const std::string& sessionId, const std::string& publisherId);
  void unview(const std::string& sessionId, const std::string& viewerId);

  // DELETE /byoc/session/{id}: frees the session's media and forgets it. False when unknown.
  // When the removal cannot be stored, the session stays (ended, its media freed: it holds no
  // capacity) and this throws ControlError(Internal); a later DELETE or the retention retries.
  bool cleanup(const std::string& id);

  // A comfystream-video session that processes a clip (media_data): merges `result` into its
  // result and, with a status, ends it (reason). Written to the store. False when unknown or
  // already ended. Any thread but a streaming thread (the clip worker calls it).
  bool endClip(const std::string& id, std::optional<SessionStatus> status,
               const std::string& reason, const nlohmann::json& result);

  // Sessions whose latest record is not in the store yet (a write failed; retried by sweep()).
  size_t unsavedCount() const;
  // The sessions it holds now (ended ones until --session-retention forgets them), by capability
  // and status, for /metrics.
  std::map<std::pair<Capability, SessionStatus>, unsigned> countByStatus() const;

  // One pass over the sessions: asks the MediaHost about each one's publisher and viewers;
  // ends the sessions whose media ended (whip-ingest, whep-subscribe), whose peer never
  // connected within --session-connect-timeout, or that were idle for --session-ttl; forgets
  // ended sessions past --session-retention; retries what the store failed to take. Ending a
  // session frees its media through the MediaHost, which waits for the teardown: run it on the
  // main loop or a request thread, never on a streaming thread.
  void sweep();

 private:
  struct Live {
    std::string publisherId;
    bool publisherConnected = false;
    std::map<std::string, bool> viewers;  // id → its peer connected (or it sent frames) once
    uint64_t frames = 0;                  // media frames seen (in + out), to tell idle from busy
    Clock::time_point lastActivity{};
    Clock::time_point createdAt{};
    bool everConnected = false;  // a peer of the session connected (or media flowed) once
    int pending = 0;             // endpoint requests negotiating right now
    // Compiled when the job came (models loaded then); the first publisher runs it, later ones
    // compile afresh. Not stored: after a restart the first publisher compiles too.
    std::shared_ptr<GraphWorkflow> compiled;
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

  MediaHost& media_;
  const ByocSettings settings_;
  const SessionClocks clocks_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> sessions_;
  std::map<Capability, unsigned> reserved_;
  std::unique_ptr<SessionStore> store_;
  std::string storeError_;            // why the store could not be opened (last try)
  Clock::time_point storeRetryAt_{};  // no new open attempt before this
  bool loaded_ = true;                // false while an existing store could not be read
  std::set<std::string> unsaved_;     // ids whose latest record the store lacks
};

}  // namespace cs
