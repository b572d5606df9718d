#include "stream/AudioProcessor.h"

#include "media/PipelineLaunch.h"
#include "media/RunningTime.h"

#include <cstring>

#include "util/ControlError.h"
#include "util/RateLimitedLog.h"

namespace cs {
namespace {

constexpr int kRate = 48000;

ElementPtr launch(const char* desc, GstClockTime baseTime) {
  ElementPtr pipeline = launchPipeline(desc, "the audio pipeline");
  useStreamClock(pipeline.get(), baseTime);
  return pipeline;
}

template <typename T>
T* byName(GstElement* bin, const char* name) {
  GstElement* e = gst_bin_get_by_name(GST_BIN(bin), name);
  gst_object_unref(e);  // the pipeline keeps it alive
  return reinterpret_cast<T*>(e);
}

}  // namespace

AudioProcessor::AudioProcessor(GstClockTime baseTime, WorkflowSource workflow, Output output)
    : workflow_(std::move(workflow)), output_(std::move(output)) {
  // The original averages stereo to mono before its audio nodes; so do we.
  decoder_ = launch(
      "appsrc name=src is-live=true format=time do-timestamp=false handle-segment-change=true ! "
      "opusdec ! audioconvert ! audioresample ! "
      "audio/x-raw,format=F32LE,rate=48000,channels=1,layout=interleaved ! "
      "appsink name=sink sync=false async=false",
      baseTime);
  encoder_ = launch(
      "appsrc name=src is-live=true format=time do-timestamp=false "
      "caps=audio/x-raw,format=F32LE,rate=48000,channels=1,layout=interleaved ! "
      "audioconvert ! opusenc frame-size=20 ! appsink name=sink sync=false async=false",
      baseTime);
  decodeSrc_ = byName<GstAppSrc>(decoder_.get(), "src");
  encodeSrc_ = byName<GstAppSrc>(encoder_.get(), "src");
  for (GstAppSrc* src : {decodeSrc_, encodeSrc_}) {
    g_object_set(src, "block", FALSE, "max-bytes", guint64(0), "max-buffers", guint64(50), nullptr);
    gst_app_src_set_leaky_type(src, GST_APP_LEAKY_TYPE_DOWNSTREAM);
  }
  GstAppSinkCallbacks decoded{};
  decoded.new_sample = onDecoded;
  gst_app_sink_set_callbacks(byName<GstAppSink>(decoder_.get(), "sink"), &decoded, this, nullptr);
  GstAppSinkCallbacks encoded{};
  encoded.new_sample = onEncoded;
  gst_app_sink_set_callbacks(byName<GstAppSink>(encoder_.get(), "sink"), &encoded, this, nullptr);
}

AudioProcessor::~AudioProcessor() {
  if (!stopped_) stop();
}

void AudioProcessor::start() {
  for (auto* p : {encoder_.get(), decoder_.get()})
    if (gst_element_set_state(p, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
      throw ControlError(ErrorKind::Internal, "cannot start the audio pipeline");
}

void AudioProcessor::stop() {
  stopped_ = true;
  gst_element_set_state(decoder_.get(), GST_STATE_NULL);
  gst_element_set_state(encoder_.get(), GST_STATE_NULL);
}

void AudioProcessor::push(GstSample* opus) noexcept {
  gst_app_src_push_sample(decodeSrc_, opus);
}

GstFlowReturn AudioProcessor::onDecoded(GstAppSink* sink, gpointer data) {
  SamplePtr sample(gst_app_sink_pull_sample(sink));
  if (sample) static_cast<AudioProcessor*>(data)->process(sample.get());
  return GST_FLOW_OK;
}

void AudioProcessor::process(GstSample* pcm) noexcept {
  const auto wf = workflow_();
  if (!wf || !wf->processesAudio()) return;
  GstBuffer* buf = gst_sample_get_buffer(pcm);
  GstMapInfo map;
  if (!gst_buffer_map(buf, &map, GST_MAP_READ)) return;
  const size_t n = map.size / sizeof(float);
  in_.sampleRate = kRate;
  in_.samples.resize(n);
  std::memcpy(in_.samples.data(), map.data, n * sizeof(float));
  gst_buffer_unmap(buf, &map);
  const GstClockTime rt = runningTimeOf(pcm);

  out_.samples.clear();
  wf->runAudio(in_, out_);
  processed_.fetch_add(1, std::memory_order_relaxed);
  if (out_.samples.empty()) return;

  // A block ends with the chunk that completed it: stamp it so, and keep output contiguous.
  const GstClockTime duration = gst_util_uint64_scale(out_.samples.size(), GST_SECOND, kRate);
  const GstClockTime end = rt + gst_util_uint64_scale(n, GST_SECOND, kRate);
  GstClockTime pts = end > duration ? end - duration : 0;
  if (GST_CLOCK_TIME_IS_VALID(nextOut_) && pts < nextOut_) pts = nextOut_;
  nextOut_ = pts + duration;
  GstBuffer* outBuf =
      gst_buffer_new_allocate(nullptr, out_.samples.size() * sizeof(float), nullptr);
  gst_buffer_fill(outBuf, 0, out_.samples.data(), out_.samples.size() * sizeof(float));
  GST_BUFFER_PTS(outBuf) = pts;
  GST_BUFFER_DURATION(outBuf) = duration;
  gst_app_src_push_buffer(encodeSrc_, outBuf);
}

GstFlowReturn AudioProcessor::onEncoded(GstAppSink* sink, gpointer data) {
  SamplePtr sample(gst_app_sink_pull_sample(sink));
  if (sample) static_cast<AudioProcessor*>(data)->output_(sample.get());
  return GST_FLOW_OK;
}

}  // namespace cs
