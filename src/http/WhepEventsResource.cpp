#include "http/WhepEventsResource.h"

#include <map>
#include <mutex>

#include "http/ErrorResponse.h"
#include "http/EventStream.h"
#include "http/WhepEventTypes.h"
#include "util/RandomId.h"

namespace cs {
namespace {

using http::Request;
using http::Response;

// One event stream: what one player asked to hear about one WHEP session. It follows the
// session's stream (its StreamObserver calls come on the main loop) and writes to the response
// of the GET that reads it, when there is one.
class Channel final : public StreamObserver {
 public:
  Channel(std::string id, std::string sessionId, std::string streamId, unsigned types,
          std::function<void(const std::string&)> forget)
      : id_(std::move(id)),
        sessionId_(std::move(sessionId)),
        streamId_(std::move(streamId)),
        types_(types),
        forget_(std::move(forget)) {}

  const std::string& id() const { return id_; }
  const std::string& sessionId() const { return sessionId_; }
  const std::string& streamId() const { return streamId_; }
  void setSubscription(StreamEvents::Subscription s) {
    std::lock_guard lock(mu_);
    subscription_ = std::move(s);
  }

  void onActive() override {
    std::lock_guard lock(mu_);
    if (active_) return;
    active_ = wasActive_ = true;
    emitLocked(kWhepEventActive);
  }
  void onInactive() override {
    std::lock_guard lock(mu_);
    // The draft: no "inactive" first when nothing was published at creation. An observer
    // starts inactive, so this only follows an "active".
    if (!active_) return;
    active_ = false;
    emitLocked(kWhepEventInactive);
  }
  void onViewerCount(unsigned viewers) override {
    std::lock_guard lock(mu_);
    if (viewers_ == viewers) return;
    viewers_ = viewers;
    emitLocked(kWhepEventViewerCount);
  }
  // The draft: every event stream of a WHEP resource ends with it.
  void onViewerRemoved(const std::string& viewerId) override {
    if (viewerId == sessionId_) end();
  }
  void onStreamEnded() override { end(); }

  // A GET: it gets the current state at once, then every change. A newer GET replaces an older
  // one (a player that reconnected); the older response ends.
  void attach(std::shared_ptr<http::EventStream> out) {
    std::lock_guard lock(mu_);
    if (closed_) return out->close();
    if (out_) out_->close();
    out_ = std::move(out);
    if (wasActive_) emitLocked(active_ ? kWhepEventActive : kWhepEventInactive);
    if (viewers_) emitLocked(kWhepEventViewerCount);
  }

  // Deleted, or its session ended: the open response finishes, queued events are dropped with
  // it, and the stream is no longer observed.
  void close() {
    StreamEvents::Subscription gone;
    std::lock_guard lock(mu_);
    closed_ = true;
    if (out_) out_->close();
    out_.reset();
    gone = std::move(subscription_);
  }

 private:
  void end() {
    close();
    forget_(id_);
  }

  void emitLocked(WhepEvent e) {
    if (!out_ || !(types_ & e)) return;
    const std::string data = e == kWhepEventViewerCount
                                 ? "{\"viewercount\":" + std::to_string(*viewers_) + "}"
                                 : std::string("{}");
    if (!out_->send(whepEventName(e), data)) out_.reset();  // the reader went away
  }

  const std::string id_, sessionId_, streamId_;
  const unsigned types_;
  const std::function<void(const std::string&)> forget_;
  std::mutex mu_;
  bool active_ = false, wasActive_ = false, closed_ = false;
  std::optional<unsigned> viewers_;
  std::shared_ptr<http::EventStream> out_;
  StreamEvents::Subscription subscription_;
};

// Every event stream, by its id. Bounded: kMaxWhepEventStreamsPerSession per WHEP session, and
// sessions are bounded by the registry.
class Channels : public std::enable_shared_from_this<Channels> {
 public:
  std::shared_ptr<Channel> create(const std::string& sessionId, const std::string& streamId,
                                  unsigned types) {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const auto& [_, c] : channels_) n += c->sessionId() == sessionId ? 1 : 0;
    if (n >= kMaxWhepEventStreamsPerSession)
      throw ControlError(ErrorKind::Conflict,
                         "this session already has " + std::to_string(n) +
                             " event streams; DELETE one before making another");
    auto c = std::make_shared<Channel>(newRandomId(), sessionId, streamId, types,
                                       [weak = weak_from_this()](const std::string& id) {
                                         if (auto self = weak.lock()) self->take(id);
                                       });
    channels_.emplace(c->id(), c);
    return c;
  }

  // The channel `id` of session `sessionId`; null when there is none.
  std::shared_ptr<Channel> find(const std::string& sessionId, const std::string& id) const {
    std::lock_guard lock(mu_);
    auto it = channels_.find(id);
    return it != channels_.end() && it->second->sessionId() == sessionId ? it->second : nullptr;
  }

  std::shared_ptr<Channel> take(const std::string& id) {
    std::lock_guard lock(mu_);
    auto it = channels_.find(id);
    if (it == channels_.end()) return nullptr;
    auto c = std::move(it->second);
    channels_.erase(it);
    return c;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Channel>> channels_;
};

void handleCreate(const Request& req, Response& res, StreamRegistry& registry,
                  const http::Authorizer& auth, Channels& channels) {
  const std::string& sessionId = req.matches[1];
  const auto viewer = registry.viewerStats(sessionId);
  if (!viewer) throw ControlError(ErrorKind::NotFound, "no such WHEP session");
  const std::string& streamId = viewer->info.streamId;
  auth.require(req, http::Role::View, streamId);
  // Validated before anything is made (the draft: 400 without creating the event stream).
  const unsigned types = parseWhepEventTypes(req.header("Content-Type"), req.body);
  const auto stream = registry.findStream(streamId);
  if (!stream) throw ControlError(ErrorKind::NotFound, "no such WHEP session");
  auto channel = channels.create(sessionId, streamId, types);
  channel->setSubscription(stream->subscribe(channel));
  // The session may have ended between the look-up and the subscription, and its removal
  // notice gone out before: then this one would never end by itself.
  if (!registry.viewerStats(sessionId)) {
    channels.take(channel->id());
    channel->close();
    throw ControlError(ErrorKind::NotFound, "no such WHEP session");
  }
  res.status = 201;
  res.setHeader("Location", "/whep/" + sessionId + "/sse/" + channel->id());
}

}  // namespace

void addWhepEventRoutes(http::Router& router, StreamRegistry& registry,
                        const http::Authorizer& auth) {
  auto channels = std::make_shared<Channels>();
  const std::string base = "(?:/live)?/whep/([0-9a-zA-Z_-]{1,64})/sse";
  const std::string one = base + "/([0-9a-f]{32})";
  router.post(
      base,
      [&registry, &auth, channels](const Request& req, Response& res) {
        handleCreate(req, res, registry, auth, *channels);
      },
      "application/json");
  // Inline: a look-up. No token needed: EventSource cannot send an Authorization header, and
  // the URL is the capability (a 128-bit random id, handed out to whoever created it).
  router.get(
      one,
      [channels](const Request& req, Response& res) {
        auto channel = channels->find(req.matches[1], req.matches[2]);
        if (!channel) throw ControlError(ErrorKind::NotFound, "no such event stream");
        res.status = 200;
        res.eventStream = [channel](std::shared_ptr<http::EventStream> out) {
          channel->attach(std::move(out));
        };
      },
      http::Dispatch::Inline);
  router.del(one, [&auth, channels](const Request& req, Response& res) {
    auto channel = channels->find(req.matches[1], req.matches[2]);
    if (!channel) throw ControlError(ErrorKind::NotFound, "no such event stream");
    auth.require(req, http::Role::View, channel->streamId());
    if (channels->take(channel->id())) channel->close();
    res.status = 200;
  });
}

}  // namespace cs
