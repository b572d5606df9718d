#pragma once
// The recordings of every stream. A recording is a viewer of its stream, so it goes through the
// registry like a WHEP session (--max-viewers, teardown with the stream); this service starts
// them, answers their status while they run and after they end, and stops them: on request,
// once their stream has had no publisher for a while, and at shutdown.
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "record/Recorder.h"
#include "record/RecordingSettings.h"
#include "record/RecordingStatus.h"
#include "stream/StreamRegistry.h"
#include "util/MainLoop.h"

namespace cs {

class RecordingService {
 public:
  RecordingService(RecordingSettings settings, StreamRegistry& registry, MainLoop& loop);
  ~RecordingService();
  RecordingService(const RecordingService&) = delete;
  RecordingService& operator=(const RecordingService&) = delete;

  const RecordingSettings& settings() const { return settings_; }

  // Control plane; each throws ControlError. The directory's problem (Internal: 500).
  void requireWritable() const;
  // Starts recording the stream's output. BadRequest: a malformed stream id; NotFound: no such
  // stream; NoPublisher: nothing to record yet (409); Capacity: --max-viewers; Internal: the
  // directory or the file cannot be written, with the reason.
  RecordingStatus start(const std::string& streamId, const std::string& clientAddress = {});
  // nullopt: no such recording of that stream. Ended ones stay answerable (the newest
  // kRetainedEnded of them).
  std::optional<RecordingStatus> status(const std::string& streamId, const std::string& id) const;
  std::vector<RecordingStatus> list(const std::string& streamId) const;
  bool streamExists(const std::string& streamId) const {
    return registry_.findStream(streamId) != nullptr;
  }
  // Stops it and waits until its file is closed (at most a few seconds); the final status.
  // NotFound: no such recording of that stream. Stopping an ended one returns its status.
  RecordingStatus stop(const std::string& streamId, const std::string& id);
  // Stops every recording and waits (bounded) until their files are finalized. Call before the
  // registry's shutdown, never on the main loop.
  void shutdown();

  static constexpr size_t kRetainedEnded = 256;

 private:
  struct Entry {
    std::shared_ptr<Recorder> recorder;
    // Since when its stream has had no publisher (main loop); unset while it has one.
    std::optional<std::chrono::steady_clock::time_point> noPublisherSince;
  };
  std::shared_ptr<Recorder> find(const std::string& streamId, const std::string& id) const;
  void end(const std::string& id, const std::string& why);  // main loop or control plane
  void sweep();                                             // main loop

  const RecordingSettings settings_;
  StreamRegistry& registry_;
  MainLoop& loop_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> recordings_;  // by id: running and retained ended ones
  std::deque<std::string> endedOrder_;       // ended ids, oldest first
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace cs
