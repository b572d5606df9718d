#pragma once
// Publishers and viewers without a transport: what the registry and the stream see of a
// session, with the calls they make recorded, so tests can wait on them instead of sleeping.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "stream/Publisher.h"
#include "stream/Viewer.h"
#include "util/GstPtr.h"
#include "util/MainLoop.h"

namespace cs::test {

inline SessionInfo sessionInfo(std::string id, std::string streamId, std::string address = {},
                               std::string paired = {}) {
  return {std::move(id), std::move(streamId), 0, std::move(address), std::move(paired)};
}

// Set by stop(), so a test can wait for the registry's teardown.
class StopSignal {
 public:
  void set(bool onLoop) {
    std::lock_guard lock(mu_);
    stopped_ = true;
    stoppedOnLoop_ = onLoop;
    cv_.notify_all();
  }
  bool wait(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return stopped_; });
  }
  bool stopped() const {
    std::lock_guard lock(mu_);
    return stopped_;
  }
  bool stoppedOnLoop() const {
    std::lock_guard lock(mu_);
    return stoppedOnLoop_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false, stoppedOnLoop_ = false;
};

class FakePublisher final : public Publisher {
 public:
  FakePublisher(SessionInfo info, const MainLoop* loop = nullptr)
      : Publisher(std::move(info)), loop_(loop) {}
  ConnectionState state() const override { return state_.load(); }
  std::chrono::steady_clock::time_point lastActivity() const override {
    return silent_ ? std::chrono::steady_clock::time_point{} : std::chrono::steady_clock::now();
  }
  void stop() override { stopped.set(loop_ && loop_->onLoopThread()); }
  PublisherStats stats() const override {
    PublisherStats s;
    s.info = info();
    s.state = state();
    s.framesReceived = 7;
    return s;
  }
  void fail(const std::string& why) { ended(why); }

  std::atomic<ConnectionState> state_{ConnectionState::New};
  std::atomic<bool> silent_{false};
  StopSignal stopped;

 private:
  const MainLoop* loop_;
};

class FakeViewer final : public Viewer {
 public:
  FakeViewer(SessionInfo info, std::optional<VideoCodec> codec, bool audio,
             const MainLoop* loop = nullptr)
      : Viewer(std::move(info)), codec_(codec), audio_(audio), loop_(loop) {}
  ConnectionState state() const override { return state_.load(); }
  std::chrono::steady_clock::time_point lastActivity() const override {
    return silent_ ? std::chrono::steady_clock::time_point{} : std::chrono::steady_clock::now();
  }
  void stop() override { stopped.set(loop_ && loop_->onLoopThread()); }
  std::optional<VideoCodec> videoCodec() const override { return codec_; }
  bool takesAudio() const override { return audio_; }
  void onVideo(GstSample* s) noexcept override { record(video, s); }
  void onAudio(GstSample* s) noexcept override { record(audio, s); }
  ViewerStats stats() const override {
    ViewerStats s;
    s.info = info();
    s.state = state();
    s.videoCodec = codec_;
    return s;
  }
  void fail(const std::string& why) { ended(why); }

  // Waits until `list` holds n samples.
  bool waitFor(const std::vector<SamplePtr>& list, size_t n,
               std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return list.size() >= n; });
  }
  size_t count(const std::vector<SamplePtr>& list) {
    std::lock_guard lock(mu_);
    return list.size();
  }

  std::vector<SamplePtr> video, audio;
  std::atomic<ConnectionState> state_{ConnectionState::New};
  std::atomic<bool> silent_{false};
  StopSignal stopped;

 private:
  void record(std::vector<SamplePtr>& list, GstSample* s) {
    std::lock_guard lock(mu_);
    list.emplace_back(gst_sample_ref(s));
    cv_.notify_all();
  }
  const std::optional<VideoCodec> codec_;
  const bool audio_;
  const MainLoop* loop_;
  std::mutex mu_;
  std::condition_variable cv_;
};

}  // namespace cs::test
