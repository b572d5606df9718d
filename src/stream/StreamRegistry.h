#pragma once
// Every stream and the sessions that hold roles in it: who may take a role (limits, conflicts),
// the liveness watchdog, and teardown on the main loop. Sessions are created by their own
// classes (rtc/WhipPublisher, rtc/WhepViewer, record/Recorder) and attached here once they work;
// until then a Reservation holds their place, and gives it back if they never arrive.
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "stream/Publisher.h"
#include "stream/SessionStats.h"
#include "stream/Stream.h"
#include "stream/Viewer.h"
#include "util/MainLoop.h"

namespace cs {

// What a WHIP POST meets on a stream that already has a publisher (--publisher-takeover).
// A publisher that vanished without DELETE (network loss; OBS or ffmpeg reconnecting) looks live
// until the silence watchdog ends it, so only a takeover lets its re-publish in at once.
enum class PublisherTakeover {
  Always,  // the new publisher replaces the current one (MediaMTX's overridePublisher default)
  Idle,    // only one that is not connected or sent nothing for `takeoverIdle`
  Never,   // 409 + Retry-After until the current one ends
};

struct RegistrySettings {
  unsigned maxStreams = 16;
  unsigned maxViewers = 64;
  unsigned videoBitrate = 2'000'000;
  std::chrono::milliseconds silenceTimeout{10'000};
  // Sessions from one client address whose media has not connected yet: answered offers that
  // never connect would otherwise hold stream and viewer capacity for the silence timeout.
  unsigned maxPendingPerAddress = 8;
  PublisherTakeover takeover = PublisherTakeover::Always;
  std::chrono::milliseconds takeoverIdle{1'000};
};

// Stream ids come from clients (query strings, BYOC bodies): 1-256 bytes of UTF-8 with no control
// character. Anything else is refused (400) before it reaches a log line or a stats answer.
inline constexpr size_t kMaxStreamIdBytes = 256;
// Throws ControlError(BadRequest) for an id that is not a safe identifier.
void validateStreamId(const std::string& streamId);

class StreamRegistry {
 public:
  // A role in a stream held for a session that is still being set up (compiling its workflow,
  // negotiating). Given back when destroyed, unless attach…() took it; a stream left with no
  // role at all is then retired.
  class Reservation {
   public:
    Reservation(Reservation&& o) noexcept;
    Reservation& operator=(Reservation&&) = delete;
    ~Reservation();
    const std::shared_ptr<Stream>& stream() const { return stream_; }

   private:
    friend class StreamRegistry;
    Reservation(StreamRegistry* owner, std::shared_ptr<Stream> stream, bool publisher,
                unsigned viewers)
        : owner_(owner), stream_(std::move(stream)), publisher_(publisher), viewers_(viewers) {}
    StreamRegistry* owner_;
    std::shared_ptr<Stream> stream_;
    bool publisher_;
    unsigned viewers_;
  };

  StreamRegistry(RegistrySettings settings, MainLoop& loop);
  ~StreamRegistry();
  StreamRegistry(const StreamRegistry&) = delete;
  StreamRegistry& operator=(const StreamRegistry&) = delete;

  // Control plane; each throws ControlError with the precise kind of refusal. These run before
  // anything costly (a workflow compiled, a model loaded, a peer negotiated).
  // The publisher role: Capacity past --max-streams; Conflict (with the seconds until it may
  // pass) when the stream's publisher is still being set up, or is live and the takeover policy
  // keeps it. A publisher taken over is ended here, before this returns; viewers stay.
  Reservation reservePublisher(const std::string& streamId);
  // A viewer role: NoPublisher when the stream has no live publisher, Capacity past
  // --max-viewers.
  Reservation reserveViewer(const std::string& streamId);
  // Both roles of a fresh stream, for one connection that publishes and views (the original's
  // /offer).
  Reservation reserveDuplex(const std::string& streamId);
  // TooManyRequests when `clientAddress` already has --max-pending-per-ip sessions whose media
  // has not connected; an empty address is not limited.
  void checkPending(const std::string& clientAddress) const;

  // A set-up session takes its reserved role. From here on the registry owns its teardown.
  void attachPublisher(Reservation& r, std::shared_ptr<Publisher> p);
  void attachViewer(Reservation& r, std::shared_ptr<Viewer> v);

  // Ends a session (any thread but a streaming one). Throws ControlError(NotFound).
  void endPublisher(const std::string& id);
  void endViewer(const std::string& id);

  std::shared_ptr<Stream> findStream(const std::string& streamId) const;
  std::vector<std::shared_ptr<Stream>> streams() const;
  // One session's figures; nullopt once it has ended (or never existed).
  std::optional<PublisherStats> publisherStats(const std::string& id) const;
  std::optional<ViewerStats> viewerStats(const std::string& id) const;
  std::vector<PublisherStats> publishers() const;
  std::vector<ViewerStats> viewers() const;
  // The session itself, nullptr once it has ended (or never existed): for what only its
  // transport knows, such as a WHIP/WHEP PATCH (rtc/IcePatch).
  std::shared_ptr<Publisher> findPublisher(const std::string& id) const;
  std::shared_ptr<Viewer> findViewer(const std::string& id) const;

  // Stops every session and stream (on the main loop). Called once at shutdown.
  void shutdown();

 private:
  struct Entry {
    std::shared_ptr<Stream> stream;
    bool publisherReserved = false;
    unsigned viewersReserved = 0;
    bool hasPublisher() const { return publisherReserved || stream->hasPublisher(); }
  };

  void release(Reservation& r) noexcept;
  // The attached publisher of `streamId` that a new one may replace; throws Conflict otherwise.
  std::string takeoverCandidateLocked(const Entry& e, const std::string& streamId) const;
  Entry& entryLocked(const std::string& streamId);
  unsigned publishedCountLocked() const;
  // Removes the stream's entry when nothing holds a role in it; the caller shuts it down.
  void retireIfEmptyLocked(const std::string& streamId,
                           std::vector<std::shared_ptr<Stream>>& retired);
  void shutdownStreams(std::vector<std::shared_ptr<Stream>>& retired);
  bool removePublisher(const std::string& id, const std::string& reason);  // main loop
  bool removeViewer(const std::string& id, const std::string& reason);     // main loop
  void sweep();                                                            // main loop

  const RegistrySettings settings_;
  MainLoop& loop_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> streams_;
  std::map<std::string, std::shared_ptr<Publisher>> publishers_;
  std::map<std::string, std::shared_ptr<Viewer>> viewers_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace cs
