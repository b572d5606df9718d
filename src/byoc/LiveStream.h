#pragma once
// One stream of the live worker: a core Stream whose publisher reads the gateway's input channel
// (TrickleIngest behind a TrickleSubscriber) and one of whose viewers writes the output channel
// (TrickleEgress into a TricklePublisher), with the control, events and data channels beside
// them. Its output is a stream like any other: WHEP viewers, recordings and pushes can join it
// under the gateway_request_id.
//
// Threads: start(), updateParams(), stop() and status() are called by HTTP workers (and the
// control channel's thread, for updates); each channel client has its own thread; the media
// runs on the stream's. One lifecycle thread per stream sends the heartbeat, watches the input
// for stalls, and runs the end: flush the last output segment, send stream_stopped, close the
// channels, give the roles back. Nothing of a stream outlives its end.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "byoc/LiveRequest.h"
#include "byoc/LiveSettings.h"
#include "stream/StreamRegistry.h"
#include "stream/TextSink.h"
#include "util/MainLoop.h"
#include "workflow/WorkflowService.h"

namespace cs {

namespace trickle {
class TrickleSubscriber;
class TricklePublisher;
class TrickleIngest;
class TrickleEgress;
class FrameArrivals;
}  // namespace trickle

class LiveStream : public std::enable_shared_from_this<LiveStream> {
 public:
  struct Context {
    StreamRegistry& registry;
    WorkflowService& workflows;
    MainLoop& loop;
    const LiveSettings& settings;
  };
  // Told once, on the stream's lifecycle thread, when the stream has ended and left nothing
  // running.
  using GoneHandler = std::function<void(const std::string& id)>;

  // Sets the stream up: its roles in the registry (409/503 as for any publisher), its workflow
  // (compiled and warmed up; 400 with the node errors), its media and its channels. Throws
  // ControlError or WorkflowError and leaves nothing behind when any step fails.
  static std::shared_ptr<LiveStream> start(Context ctx, LiveStartRequest request,
                                           const std::string& clientAddress, GoneHandler gone);
  ~LiveStream();
  LiveStream(const LiveStream&) = delete;
  LiveStream& operator=(const LiveStream&) = delete;

  const std::string& id() const { return request_.gatewayRequestId; }

  // A params update (POST /stream/params, a control message): frame rate and size at once, a
  // new workflow compiled and warmed up while the running one goes on serving frames, then
  // swapped in. Throws ControlError/WorkflowError; the stream goes on unchanged then.
  void updateParams(const LiveParams& params, std::string_view via);

  // Ends the stream and waits up to `wait` for its end to finish. Idempotent. Not on the main
  // loop, not on the stream's own threads.
  bool stop(const std::string& reason, std::chrono::milliseconds wait);
  bool ended() const;
  bool failed() const;  // it ended, or is ending, because of an error

  // The stream's figures for /stream/status and the heartbeat.
  nlohmann::json status() const;

 private:
  LiveStream(Context ctx, LiveStartRequest request, GoneHandler gone);
  void setUp(const std::string& clientAddress);
  void startChannels();
  void onControlMessage(const std::string& text);
  void sendEvent(std::string_view type, nlohmann::json fields);
  void sendHeartbeat();
  void requestEnd(const std::string& reason, bool error);
  void runLifecycle();
  void finish();
  void drainMedia();
  void releaseAll() noexcept;

  Context ctx_;
  const LiveStartRequest request_;
  const GoneHandler gone_;
  const std::chrono::steady_clock::time_point createdAt_ = std::chrono::steady_clock::now();

  std::shared_ptr<Stream> stream_;
  std::shared_ptr<trickle::FrameArrivals> arrivals_;
  std::shared_ptr<trickle::TrickleIngest> ingest_;
  std::shared_ptr<trickle::TrickleEgress> egress_;
  std::unique_ptr<trickle::TrickleSubscriber> input_, control_;
  std::shared_ptr<trickle::TricklePublisher> output_;
  std::unique_ptr<trickle::TricklePublisher> events_, data_;
  std::shared_ptr<TextSink> textSink_;  // the workflow's text → the data channel
  class OutputTap;
  std::shared_ptr<OutputTap> tap_;

  std::mutex updateMu_;  // one params update at a time
  mutable std::mutex mu_;
  std::condition_variable cv_;
  nlohmann::json params_ = nlohmann::json::object();  // the last params applied (for status)
  std::string workflowName_;
  bool endRequested_ = false;
  bool ended_ = false;
  bool error_ = false;
  bool inputEnded_ = false;  // the input channel ended by itself (closed, 404, failed)
  std::string endReason_;
  std::atomic<bool> firstIngest_{false};
  std::atomic<int64_t> firstOutputMs_{-1};  // start → first output byte
  std::thread lifecycle_;
};

}  // namespace cs
