#pragma once
// A MediaHost without media, and a clock the test moves by hand: the BYOC session manager's
// decisions, tested without GStreamer, peers or sleeping. The fake may be used from the main
// loop's thread and the test's at once.
#include <chrono>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "byoc/MediaHost.h"
#include "byoc/SessionManager.h"
#include "util/ControlError.h"

namespace cs::test {

class FakeMediaHost : public MediaHost {
 public:
  Answered publish(const std::string& streamId, const nlohmann::json&, const std::string& offer,
                   int, int, std::shared_ptr<GraphWorkflow> compiled) override {
    std::lock_guard lock(mu_);
    publishedCompiled.push_back(compiled != nullptr);
    if (offer == "refuse") throw ControlError(ErrorKind::Conflict, "already publishing");
    const std::string id = "pub-" + std::to_string(++next_);
    PublisherStats st;
    st.info.id = id;
    st.info.streamId = streamId;
    publishers_[id] = st;
    return {id, "answer to " + offer};
  }
  Answered view(const std::string& streamId, const std::string& offer) override {
    std::lock_guard lock(mu_);
    if (offer == "refuse") throw ControlError(ErrorKind::NoPublisher, "no publisher");
    const std::string id = "view-" + std::to_string(++next_);
    ViewerStats st;
    st.info.id = id;
    st.info.streamId = streamId;
    viewers_[id] = st;
    return {id, "answer to " + offer};
  }
  bool endPublisher(const std::string& id) override {
    std::lock_guard lock(mu_);
    endedByCaller.push_back(id);
    return publishers_.erase(id) > 0;
  }
  bool endViewer(const std::string& id) override {
    std::lock_guard lock(mu_);
    endedByCaller.push_back(id);
    return viewers_.erase(id) > 0;
  }
  std::optional<PublisherStats> publisherStats(const std::string& id) const override {
    std::lock_guard lock(mu_);
    ++statsQueries;
    auto it = publishers_.find(id);
    return it == publishers_.end() ? std::nullopt : std::optional(it->second);
  }
  std::optional<ViewerStats> viewerStats(const std::string& id) const override {
    std::lock_guard lock(mu_);
    ++statsQueries;
    auto it = viewers_.find(id);
    return it == viewers_.end() ? std::nullopt : std::optional(it->second);
  }
  std::shared_ptr<GraphWorkflow> compileWorkflow(const nlohmann::json&, int, int) override {
    ++compiles;
    return nullptr;  // what publish() receives back; the fake never runs it
  }
  int compiles = 0;
  std::vector<bool> publishedCompiled;  // per publish(): whether a compiled workflow came along

  // What the media does on its own (the stream core's side of the story).
  void connect(const std::string& id) {
    std::lock_guard lock(mu_);
    stateOf(id) = ConnectionState::Connected;
  }
  void frames(const std::string& id, uint64_t n) {
    std::lock_guard lock(mu_);
    if (auto it = publishers_.find(id); it != publishers_.end())
      it->second.framesReceived += n;
    else if (auto v = viewers_.find(id); v != viewers_.end())
      v->second.framesSent += n;
    else
      throw std::logic_error("no media " + id);
  }
  // Ended without the caller asking: a DELETE on /whip/{id}, a silent or failed peer.
  void vanish(const std::string& id) {
    std::lock_guard lock(mu_);
    if (!publishers_.erase(id) && !viewers_.erase(id)) throw std::logic_error("no media " + id);
  }
  bool live(const std::string& id) const {
    std::lock_guard lock(mu_);
    return publishers_.contains(id) || viewers_.contains(id);
  }
  size_t liveCount() const {
    std::lock_guard lock(mu_);
    return publishers_.size() + viewers_.size();
  }

  // Read these once the code under test is done with the fake.
  std::vector<std::string> endedByCaller;  // ids the caller ended, in order
  mutable unsigned statsQueries = 0;

 private:
  ConnectionState& stateOf(const std::string& id) {
    if (auto it = publishers_.find(id); it != publishers_.end()) return it->second.state;
    if (auto it = viewers_.find(id); it != viewers_.end()) return it->second.state;
    throw std::logic_error("no media " + id);
  }

  mutable std::mutex mu_;
  std::map<std::string, PublisherStats> publishers_;
  std::map<std::string, ViewerStats> viewers_;
  unsigned next_ = 0;
};

// Steady and wall time that move only when the test says so.
class ManualClock {
 public:
  void advance(std::chrono::milliseconds d) {
    steady_ += d;
    wall_ += std::chrono::duration<double>(d).count();
  }
  SessionClocks clocks() {
    return {[this] { return steady_; }, [this] { return wall_; }};
  }

 private:
  std::chrono::steady_clock::time_point steady_{std::chrono::hours(1000)};
  double wall_ = 1'700'000'000;
};

}  // namespace cs::test
