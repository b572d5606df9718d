#include "record/RecordingService.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "record/RecordingFileName.h"
#include "util/ControlError.h"
#include "util/LogEscape.h"
#include "util/RandomId.h"

namespace cs {
namespace {

// How long a DELETE (or shutdown) waits for the muxer to finalize a file: the recorder gives
// up on the muxer after 5 s itself.
constexpr auto kFinalizeWait = std::chrono::seconds(8);

double unixSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

}  // namespace

RecordingService::RecordingService(RecordingSettings settings, StreamRegistry& registry,
                                   MainLoop& loop)
    : settings_(std::move(settings)), registry_(registry), loop_(loop) {
  loop_.every(std::chrono::seconds(1), [this, alive = std::weak_ptr<bool>(alive_)] {
    if (alive.expired()) return false;
    sweep();
    return true;
  });
}

RecordingService::~RecordingService() {
  shutdown();
  // On the loop, so a sweep or a finished-callback in progress completes before members go.
  loop_.invokeSync([&] { alive_.reset(); });
}

void RecordingService::requireWritable() const {
  if (const std::string why = settings_.checkWritable(); !why.empty())
    throw ControlError(ErrorKind::Internal, why);
}

RecordingStatus RecordingService::start(const std::string& streamId,
                                        const std::string& clientAddress) {
  validateStreamId(streamId);
  if (!registry_.findStream(streamId))
    throw ControlError(ErrorKind::NotFound, "no stream '" + logSafe(streamId) + "'");
  requireWritable();
  auto role = registry_.reserveViewer(streamId);
  bool hasAudio = false;
  for (const auto& p : registry_.publishers())
    if (p.info.streamId == streamId) hasAudio = p.hasAudio;

  const auto now = std::chrono::system_clock::now();
  SessionInfo info{newRandomId(), streamId, unixSeconds(now), clientAddress, {}};
  Recorder::Options opts;
  opts.path =
      settings_.dir / recordingFileName(streamId, now, info.id.substr(0, 8), Recorder::kExtension);
  opts.withAudio = hasAudio;
  opts.requestKeyframe = [weak = std::weak_ptr<Stream>(role.stream())] {
    if (auto s = weak.lock()) s->onKeyframeRequest(VideoCodec::H264);
  };
  const std::string id = info.id;
  opts.onFinished = [this, alive = std::weak_ptr<bool>(alive_), id](const RecordingStatus&) {
    if (alive.expired()) return;
    std::lock_guard lock(mu_);
    endedOrder_.push_back(id);
    while (endedOrder_.size() > kRetainedEnded) {
      recordings_.erase(endedOrder_.front());
      endedOrder_.pop_front();
    }
  };
  auto rec = std::make_shared<Recorder>(std::move(info), std::move(opts), loop_);
  {
    std::lock_guard lock(mu_);
    recordings_[id] = Entry{rec, std::nullopt};
  }
  try {
    // Attached first, so the stream's H.264 encoder exists when start() asks it for a keyframe.
    registry_.attachViewer(role, rec);
    rec->start();
  } catch (...) {
    end(id, "start failed");
    std::lock_guard lock(mu_);
    recordings_.erase(id);
    throw;
  }
  return rec->status();
}

std::shared_ptr<Recorder> RecordingService::find(const std::string& streamId,
                                                 const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = recordings_.find(id);
  if (it == recordings_.end() || it->second.recorder->streamId() != streamId) return nullptr;
  return it->second.recorder;
}

std::optional<RecordingStatus> RecordingService::status(const std::string& streamId,
                                                        const std::string& id) const {
  if (auto rec = find(streamId, id)) return rec->status();
  return std::nullopt;
}

std::vector<RecordingStatus> RecordingService::list(const std::string& streamId) const {
  std::vector<std::shared_ptr<Recorder>> recs;
  {
    std::lock_guard lock(mu_);
    for (const auto& [_, e] : recordings_)
      if (e.recorder->streamId() == streamId) recs.push_back(e.recorder);
  }
  std::vector<RecordingStatus> out;
  out.reserve(recs.size());
  for (const auto& r : recs) out.push_back(r->status());
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.startedAt < b.startedAt; });
  return out;
}

void RecordingService::end(const std::string& id, const std::string& why) {
  try {
    // The registry takes it off its stream and stops it (EOS) on the main loop.
    registry_.endViewer(id);
    spdlog::info("recording {}: stopping ({})", id, why);
  } catch (const ControlError&) {
    // Already ended (a write error, or its stream went away): nothing to stop.
  }
}

RecordingStatus RecordingService::stop(const std::string& streamId, const std::string& id) {
  auto rec = find(streamId, id);
  if (!rec)
    throw ControlError(ErrorKind::NotFound,
                       "no recording '" + logSafe(id) + "' of stream '" + logSafe(streamId) + "'");
  if (!rec->finished()) {
    end(id, "DELETE");
    if (!rec->waitFinished(kFinalizeWait))
      spdlog::warn("recording {}: not finalized after {} s", id, kFinalizeWait.count());
  }
  return rec->status();
}

void RecordingService::sweep() {
  std::vector<std::shared_ptr<Recorder>> running;
  {
    std::lock_guard lock(mu_);
    for (const auto& [_, e] : recordings_)
      if (!e.recorder->finished()) running.push_back(e.recorder);
  }
  const auto now = std::chrono::steady_clock::now();
  std::vector<std::string> idle;
  for (const auto& rec : running) {
    const auto stream = registry_.findStream(rec->streamId());
    const bool published = stream && stream->hasPublisher();
    std::lock_guard lock(mu_);
    auto it = recordings_.find(rec->id());
    if (it == recordings_.end()) continue;
    auto& since = it->second.noPublisherSince;
    if (published)
      since.reset();
    else if (!since)
      since = now;
    else if (now - *since >= settings_.noPublisherTimeout)
      idle.push_back(rec->id());
  }
  for (const auto& id : idle)
    end(id, "its stream has had no publisher for " +
                std::to_string(settings_.noPublisherTimeout.count()) + " ms");
}

void RecordingService::shutdown() {
  std::vector<std::shared_ptr<Recorder>> running;
  {
    std::lock_guard lock(mu_);
    for (const auto& [_, e] : recordings_)
      if (!e.recorder->finished()) running.push_back(e.recorder);
  }
  // All EOS at once, then one deadline for all of them.
  for (const auto& rec : running) end(rec->id(), "shutdown");
  const auto deadline = std::chrono::steady_clock::now() + kFinalizeWait;
  for (const auto& rec : running) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!rec->waitFinished(std::max(left, std::chrono::milliseconds(0))))
      spdlog::warn("recording {}: not finalized at shutdown; the file plays to its last block",
                   rec->id());
  }
}

}  // namespace cs
