#pragma once
// A stream: one publisher (a frame source), one workflow run by its processors, many viewers
// (encoded media sinks). It owns the encoders, one per codec in use, and hands their output to
// every viewer of that codec. The frame path, by calls:
//   Publisher → Stream::onPublisherVideo → VideoProcessor (worker thread runs the workflow)
//   → Stream::onProcessedFrame → VideoEncoder::push → Stream::onEncoded → Viewer::onVideo.
#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "media/FpsMeter.h"
#include "media/LatencyTracker.h"
#include "media/VideoEncoder.h"
#include "stream/AudioProcessor.h"
#include "stream/Publisher.h"
#include "stream/StreamEvents.h"
#include "stream/TextSink.h"
#include "stream/VideoProcessor.h"
#include "stream/Viewer.h"
#include "util/MainLoop.h"
#include "workflow/GraphWorkflow.h"
#include "workflow/WorkflowService.h"

namespace cs {

// A stream's figures, for /streams/stats and the WHIP stats.
struct StreamStats {
  std::string streamId;
  FpsMeter::Snapshot fps;
  uint64_t framesProcessed = 0;
  uint64_t framesDropped = 0;  // replaced in the mailbox before the worker took them
  uint64_t framesFailed = 0;   // the workflow produced nothing for them
  uint64_t encoderFramesDropped = 0;
  bool paused = false;
  unsigned viewers = 0;
  int width = 0, height = 0;  // of the last processed frame
  uint64_t processUs = 0;     // the workflow's time for the last frame
  LatencyTracker::Summary latency;
  std::string workflow;  // empty until one is installed
  std::vector<GraphWorkflow::GraphTimings> nodes;
  // For /metrics, each cumulative since the stream began (Prometheus counters never go down, so
  // sessions that ended still count).
  uint64_t framesIn = 0;  // decoded frames its publishers handed it
  FpsMeter::Snapshot fpsIn;
  LatencyHistogram::Snapshot latencyHistogram;
  struct EncoderFigures {
    VideoCodec codec = VideoCodec::H264;
    uint64_t frames = 0, bytes = 0, dropped = 0;
  };
  std::vector<EncoderFigures> encoders;  // the codecs it encodes, each since it started
  uint64_t viewerFramesDropped = 0;      // dropped by its viewers' own queues
  uint64_t networkBytesSent = 0, networkBytesReceived = 0;  // its sessions' transports
};

class Stream final : public Publisher::Listener,
                     public Viewer::Listener,
                     public std::enable_shared_from_this<Stream> {
 public:
  Stream(std::string id, unsigned videoBitrate, MainLoop& loop);
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  const std::string& id() const { return id_; }
  // Shared by every GStreamer pipeline of this stream, so their running times agree.
  GstClockTime baseTime() const { return baseTime_; }
  VideoProcessor& videoProcessor() { return *video_; }
  StreamStats stats() const;

  // Warm-up (any thread; stops early once *cancel is set) and install (swaps it in; the running
  // workflow serves viewers until then) are two steps, so warm-up can run under a deadline and a
  // late result is never installed. Concurrent installs of one stream are serialised.
  void warmUpWorkflow(GraphWorkflow& wf, const std::atomic<bool>* cancel = nullptr);
  void installWorkflow(std::shared_ptr<GraphWorkflow> wf);
  // Both, through the workflow service (its executor and deadline): compile `source`, warm it up
  // on this stream's latest frame, swap it in. Throws as WorkflowService::prepare; the running
  // workflow goes on when it throws.
  void applyWorkflow(WorkflowService& workflows, const WorkflowSource& source,
                     const std::string& what);
  // The same for a workflow compiled already: warm-up and swap.
  void applyWorkflow(WorkflowService& workflows, std::shared_ptr<GraphWorkflow> compiled,
                     const std::string& what);
  std::shared_ptr<GraphWorkflow> workflow() const;
  // The size the original's update_resolution sets: what warm-up uses before any frame arrived.
  void setTargetSize(int width, int height);
  void sampleFps(double unixTime) {
    fps_.sample(unixTime);
    fpsIn_.sample(unixTime);
  }
  // Sessions whose "data" channel receives the workflow's text outputs.
  void addTextSink(std::weak_ptr<TextSink> sink);

  // Roles. The registry decides who may take them (limits, conflicts); the stream only wires
  // the media.
  void attachPublisher(std::shared_ptr<Publisher> p);
  void detachPublisher(const std::string& id);
  bool hasPublisher() const;
  // Starts the viewer's encoder on first use (control plane; throws ControlError).
  void addViewer(std::shared_ptr<Viewer> v);
  void removeViewer(const std::string& id);
  unsigned viewerCount() const;
  // Tells `observer` on the main loop when the output starts and stops flowing, the viewer count
  // and who leaves (stream/StreamEvents.h); the observer stays its caller's to keep alive.
  StreamEvents::Subscription subscribe(std::weak_ptr<StreamObserver> observer) {
    return events_.subscribe(std::move(observer));
  }

  // Creates and starts the codec's encoder on first use. Control plane; throws ControlError.
  void ensureEncoder(VideoCodec codec);

  // Publisher::Listener: the media path entry points (streaming threads).
  void onPublisherVideo(GstSample* i420) noexcept override;
  void onPublisherAudio(GstSample* opus) noexcept override;
  // Viewer::Listener.
  void onKeyframeRequest(VideoCodec codec) noexcept override;
  void onNewViewerKeyframeRequest(VideoCodec codec) noexcept override;

  // Stops the worker and the encoders. Main loop only; sessions are stopped by the registry.
  void shutdown();

 private:
  using ViewerList = std::vector<std::shared_ptr<Viewer>>;
  void onProcessedFrame(BufferPtr buf, const GstVideoInfo& info) noexcept;
  void onText(std::vector<std::string>& texts) noexcept;
  void fanOutAudio(GstSample* s) noexcept;
  void onEncoded(VideoCodec codec, GstSample* s) noexcept;
  void publishSnapshotsLocked();
  // What a stream's sessions sent, received and dropped: the live ones' figures added to those
  // of the sessions that left, so the totals never go down.
  struct SessionTotals {
    uint64_t bytesSent = 0, bytesReceived = 0, viewerDrops = 0;
    void add(const PublisherStats& p);
    void add(const ViewerStats& v);
  };

  const std::string id_;
  const unsigned videoBitrate_;
  MainLoop& loop_;
  const GstClockTime baseTime_;

  mutable std::mutex mu_;
  std::shared_ptr<Publisher> publisher_;
  ViewerList viewers_;

  // Read lock-free on the media path; replaced whole under mu_ when viewers come and go.
  std::array<std::atomic<std::shared_ptr<const ViewerList>>, kVideoCodecCount> videoFanout_;
  std::atomic<std::shared_ptr<const ViewerList>> audioFanout_;
  std::array<std::atomic<std::shared_ptr<VideoEncoder>>, kVideoCodecCount> encoders_;
  LatencyTracker latency_;
  FpsMeter fps_;
  FpsMeter fpsIn_;         // decoded frames from the publisher, before the workflow
  SessionTotals ended_;    // sessions that left (mu_), for StreamStats' cumulative figures
  std::mutex workflowMu_;  // serialises installWorkflow
  std::mutex textMu_;
  std::vector<std::weak_ptr<TextSink>> textSinks_;
  std::atomic<int> targetWidth_{512}, targetHeight_{512};
  std::unique_ptr<VideoProcessor> video_;
  // Created the first time a workflow processes audio; Opus goes through it while one does.
  std::atomic<std::shared_ptr<AudioProcessor>> audio_;
  std::atomic<bool> audioProcessing_{false};
  StreamEvents events_{loop_};
};

}  // namespace cs
