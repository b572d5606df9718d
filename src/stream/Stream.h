#pragma once
// A stream: one publisher (WHIP), one pipeline (its workflow), many viewers (WHEP). It owns the
// encoders (one per codec in use) and fans their output out to its viewers.
#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "media/FpsMeter.h"
#include "media/LatencyTracker.h"
#include "media/VideoEncoder.h"
#include "stream/Publisher.h"
#include "stream/AudioPipeline.h"
#include "stream/StreamPipeline.h"
#include "stream/TextSink.h"
#include "stream/Viewer.h"
#include "util/MainLoop.h"
#include "workflow/GraphWorkflow.h"

namespace cs {

class Stream : public std::enable_shared_from_this<Stream> {
 public:
  Stream(std::string id, unsigned videoBitrate, MainLoop& loop);
  ~Stream();

  const std::string& id() const { return id_; }
  // Shared by every pipeline of this stream (see PeerConnection).
  GstClockTime baseTime() const { return baseTime_; }
  StreamPipeline& pipeline() { return *pipeline_; }
  LatencyTracker::Summary latency() const { return latency_.summary(); }

  // Warms wf up (on the calling control-plane thread) and then swaps it in; the running workflow
  // serves viewers until the swap. Concurrent updates of one stream are serialised.
  void applyWorkflow(std::shared_ptr<GraphWorkflow> wf);
  // applyWorkflow in two halves, so warm-up can run on another thread under a deadline and a late
  // result is never installed: warmUpWorkflow (any thread; stops early once *cancel is set), then
  // installWorkflow (swaps it in).
  void warmUpWorkflow(GraphWorkflow& wf, const std::atomic<bool>* cancel = nullptr);
  void installWorkflow(std::shared_ptr<GraphWorkflow> wf);
  std::shared_ptr<GraphWorkflow> workflow() const;
  // The size the original's update_resolution sets: what warm-up uses before any frame arrived.
  void setTargetSize(int width, int height);
  void sampleFps(double unixTime) { fps_.sample(unixTime); }
  // Sessions whose "data" channel receives the workflow's text outputs.
  void addTextSink(std::weak_ptr<TextSink> sink);
  // The original's /streams/stats entry plus drops, failures and per-node timings.
  nlohmann::json statsJson() const;

  // The publisher slot: reserved while a WHIP POST negotiates, so two racing POSTs get one 409.
  bool reservePublisher();
  void releasePublisher();
  void attachPublisher(std::shared_ptr<Publisher> p);
  std::shared_ptr<Publisher> detachPublisher();
  bool hasPublisher() const;  // live or reserved
  bool hasLivePublisher() const;

  unsigned viewerCount() const;  // live or reserved
  bool reserveViewer(unsigned max);
  void releaseViewer();
  void addViewer(std::shared_ptr<Viewer> v);
  std::shared_ptr<Viewer> removeViewer(const std::string& id);
  bool empty() const;

  // Creates and starts the codec's encoder on first use. Control plane; throws ControlError.
  void ensureEncoder(VideoCodec codec);
  void requestKeyframe(VideoCodec codec) noexcept;

  // Media path entry points (streaming threads).
  void onDecodedVideo(GstSample* s) noexcept;
  void onIngestAudio(GstSample* s) noexcept;

  // Stops the worker and the encoders. Main loop only; peers are stopped by their owners.
  void shutdown();

 private:
  void installWorkflowLocked(std::shared_ptr<GraphWorkflow> wf);
  using ViewerList = std::vector<std::shared_ptr<Viewer>>;
  void onProcessedFrame(GstBuffer* buf, const GstVideoInfo& info) noexcept;
  void onText(std::vector<std::string>& texts) noexcept;
  void fanOutAudio(GstSample* s) noexcept;
  void onEncoded(VideoCodec codec, GstSample* s) noexcept;
  void publishSnapshotsLocked();

  const std::string id_;
  const unsigned videoBitrate_;
  MainLoop& loop_;
  const GstClockTime baseTime_;

  mutable std::mutex mu_;
  std::shared_ptr<Publisher> publisher_;
  bool publisherReserved_ = false;
  ViewerList viewers_;
  unsigned viewersReserved_ = 0;

  // Read lock-free on the media path; replaced whole under mu_ when viewers come and go.
  std::array<std::atomic<std::shared_ptr<const ViewerList>>, kVideoCodecCount> videoFanout_;
  std::atomic<std::shared_ptr<const ViewerList>> audioFanout_;
  std::array<std::atomic<std::shared_ptr<VideoEncoder>>, kVideoCodecCount> encoders_;
  LatencyTracker latency_;
  FpsMeter fps_;
  std::mutex workflowMu_;  // serialises applyWorkflow
  std::mutex textMu_;
  std::vector<std::weak_ptr<TextSink>> textSinks_;
  std::atomic<int> targetWidth_{512}, targetHeight_{512};
  std::unique_ptr<StreamPipeline> pipeline_;
  // Created the first time a workflow processes audio; Opus goes through it while one does.
  std::atomic<std::shared_ptr<AudioPipeline>> audio_;
  std::atomic<bool> audioProcessing_{false};
};

}  // namespace cs
