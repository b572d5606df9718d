#include "rtc/PushService.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "util/ControlError.h"
#include "util/LogEscape.h"
#include "util/RandomId.h"

namespace cs {
namespace {

// How long a DELETE (or shutdown) waits for the remote session's DELETE: the client's own
// timeout plus an attempt that may be in flight.
constexpr auto kStopWait = std::chrono::seconds(12);

double unixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// RFC 6750 §2.1 b64token: what may follow "Bearer " in a header; anything else (CR/LF above all)
// could inject header lines into the request to the remote.
bool isBearerToken(const std::string& t) {
  if (t.empty() || t.size() > PushService::kMaxTokenBytes) return false;
  size_t i = 0;
  for (; i < t.size(); ++i) {
    const unsigned char c = t[i];
    if (!(std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/'))
      break;
  }
  if (i == 0) return false;
  for (; i < t.size(); ++i)
    if (t[i] != '=') return false;
  return true;
}

}  // namespace

PushService::PushService(PushSettings settings, StreamRegistry& registry, MainLoop& loop,
                         MediaNetwork network)
    : settings_(std::move(settings)),
      registry_(registry),
      loop_(loop),
      runtime_(std::make_shared<PushRuntime>(loop, std::move(network),
                                             WhipClient(settings_.allow, settings_.client),
                                             std::max(1u, settings_.workerThreads))) {
  loop_.every(std::chrono::seconds(1), [this, alive = std::weak_ptr<bool>(alive_)] {
    if (alive.expired()) return false;
    tick();
    return true;
  });
}

PushService::~PushService() {
  shutdown();
  loop_.invokeSync([&] { alive_.reset(); });
}

PushStatus PushService::start(const std::string& streamId, const std::string& url,
                              const std::string& token, const std::string& clientAddress) {
  // Cheap checks first, in the order a client can fix them; nothing is reserved until they pass.
  if (settings_.allow.empty())
    throw ControlError(ErrorKind::Forbidden,
                       "pushes are disabled on this server (start it with --push-allow)");
  validateStreamId(streamId);
  std::string why;
  const auto target = HttpUrl::parse(url, &why);
  if (!target) throw ControlError(ErrorKind::BadRequest, "\"url\": " + why);
  if (!token.empty() && !isBearerToken(token))
    throw ControlError(ErrorKind::BadRequest,
                       "\"token\" must be a bearer token (RFC 6750 b64token, at most 4096 bytes)");
  if (!settings_.allow.allows(*target))
    throw ControlError(ErrorKind::Forbidden, "pushing to " + logSafe(target->authority(), 300) +
                                                 " is not allowed (--push-allow)");
  if (!registry_.findStream(streamId))
    throw ControlError(ErrorKind::NotFound, "no stream '" + logSafe(streamId) + "'");
  {
    std::lock_guard lock(mu_);
    const auto running = std::count_if(pushes_.begin(), pushes_.end(), [&](const auto& kv) {
      return kv.second->streamId() == streamId && !kv.second->finished();
    });
    if (running >= static_cast<long>(settings_.maxPerStream))
      throw ControlError(ErrorKind::Capacity, "stream '" + logSafe(streamId) + "' already has " +
                                                  std::to_string(settings_.maxPerStream) +
                                                  " pushes");
  }
  auto role = registry_.reserveViewer(streamId);
  bool hasAudio = false;
  for (const auto& p : registry_.publishers())
    if (p.info.streamId == streamId) hasAudio = p.hasAudio;

  // No client address in the session: a push between attempts is not a client's pending
  // session (--max-pending-per-ip); the per-stream cap bounds them. The log names who asked.
  SessionInfo info{newRandomId(), streamId, unixNow(), {}, {}};
  WhipPushViewer::Options opts = settings_.timing;
  opts.url = *target;
  opts.token = token;
  opts.withAudio = hasAudio;
  auto push = std::make_shared<WhipPushViewer>(info, std::move(opts), role.stream(), runtime_);
  {
    std::lock_guard lock(mu_);
    pushes_[info.id] = push;
  }
  try {
    registry_.attachViewer(role, push);
  } catch (...) {
    std::lock_guard lock(mu_);
    pushes_.erase(info.id);
    throw;
  }
  spdlog::info("stream {}: push {} requested by {}", logSafe(streamId), info.id,
               clientAddress.empty() ? "the server" : clientAddress);
  push->start();
  return push->status();
}

std::shared_ptr<WhipPushViewer> PushService::find(const std::string& streamId,
                                                  const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = pushes_.find(id);
  if (it == pushes_.end() || it->second->streamId() != streamId) return nullptr;
  return it->second;
}

std::optional<PushStatus> PushService::status(const std::string& streamId,
                                              const std::string& id) const {
  if (auto p = find(streamId, id)) return p->status();
  return std::nullopt;
}

std::vector<PushStatus> PushService::list(const std::string& streamId) const {
  std::vector<std::shared_ptr<WhipPushViewer>> all;
  {
    std::lock_guard lock(mu_);
    for (const auto& [_, p] : pushes_)
      if (p->streamId() == streamId) all.push_back(p);
  }
  std::vector<PushStatus> out;
  for (const auto& p : all) out.push_back(p->status());
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.startedAt < b.startedAt; });
  return out;
}

void PushService::end(const std::string& id, const std::string& why) {
  try {
    // The registry takes it off its stream and stops it on the main loop.
    registry_.endViewer(id);
    spdlog::info("push {}: stopping ({})", id, why);
  } catch (const ControlError&) {
    // Already ended (failed, or its stream went away): nothing to stop.
  }
}

PushStatus PushService::stop(const std::string& streamId, const std::string& id) {
  auto push = find(streamId, id);
  if (!push)
    throw ControlError(ErrorKind::NotFound,
                       "no push '" + logSafe(id) + "' of stream '" + logSafe(streamId) + "'");
  end(id, "DELETE");
  if (!push->waitFinished(kStopWait))
    spdlog::warn("push {}: the remote session's DELETE did not finish in {} s", id,
                 kStopWait.count());
  return push->status();
}

void PushService::tick() {
  std::vector<std::shared_ptr<WhipPushViewer>> all;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, p] : pushes_) {
      if (!p->finished()) {
        all.push_back(p);
      } else if (std::find(endedOrder_.begin(), endedOrder_.end(), id) == endedOrder_.end()) {
        endedOrder_.push_back(id);
      }
    }
    while (endedOrder_.size() > kRetainedEnded) {
      pushes_.erase(endedOrder_.front());
      endedOrder_.pop_front();
    }
  }
  for (const auto& p : all) p->tick();
}

void PushService::shutdown() {
  std::vector<std::shared_ptr<WhipPushViewer>> running;
  {
    std::lock_guard lock(mu_);
    for (const auto& [_, p] : pushes_)
      if (!p->finished()) running.push_back(p);
  }
  for (const auto& p : running) end(p->id(), "shutdown");
  const auto deadline = std::chrono::steady_clock::now() + kStopWait;
  for (const auto& p : running) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!p->waitFinished(std::max(left, std::chrono::milliseconds(0))))
      spdlog::warn("push {}: remote session not ended at shutdown", p->id());
  }
  // Joined here, on this thread: a worker never ends up joining itself.
  runtime_->workers.stop();
}

}  // namespace cs
