#pragma once
// A stream's audio processing, used while its workflow takes audio (LoadAudioTensor): the
// publisher's Opus is decoded to 48 kHz mono float, run through the workflow's audio graphs chunk
// by chunk, and encoded to Opus again for every viewer. Otherwise Opus is passed through untouched.
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>

#include <atomic>
#include <functional>
#include <memory>

#include "util/GstPtr.h"
#include "workflow/GraphWorkflow.h"

namespace cs {

class AudioProcessor {
 public:
  // Encoded output, on the encoder's streaming thread (borrowed sample).
  using Output = std::function<void(GstSample*)>;
  // The workflow to run on each chunk (the stream's current one).
  using WorkflowSource = std::function<std::shared_ptr<GraphWorkflow>()>;

  AudioProcessor(GstClockTime baseTime, WorkflowSource workflow, Output output);
  ~AudioProcessor();
  void start();
  void stop();  // main loop only

  // The publisher's Opus packets (ingest streaming thread). Never blocks: the decoder's input
  // queue is leaky and bounded.
  void push(GstSample* opus) noexcept;

  uint64_t chunksProcessed() const { return processed_.load(std::memory_order_relaxed); }

 private:
  static GstFlowReturn onDecoded(GstAppSink*, gpointer self);
  static GstFlowReturn onEncoded(GstAppSink*, gpointer self);
  void process(GstSample* pcm) noexcept;

  WorkflowSource workflow_;
  Output output_;
  ElementPtr decoder_, encoder_;
  GstAppSrc* decodeSrc_ = nullptr;
  GstAppSrc* encodeSrc_ = nullptr;
  bool stopped_ = false;
  // Decoder streaming thread only: reused buffers, so steady state allocates nothing.
  Audio in_, out_;
  GstClockTime nextOut_ = GST_CLOCK_TIME_NONE;
  std::atomic<uint64_t> processed_{0};
};

}  // namespace cs
