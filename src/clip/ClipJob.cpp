#include "clip/ClipJob.h"

#include <spdlog/spdlog.h>

#include <exception>
#include <system_error>
#include <vector>

#include "clip/ClipPipeline.h"
#include "clip/ThreadPriority.h"
#include "media/GstVideoView.h"
#include "media/RunningTime.h"

namespace cs {
namespace {

// How often a waiting pull looks at the cancel flag.
constexpr auto kPollInterval = std::chrono::milliseconds(100);
// A decoder that yields nothing for this long mid-file is stuck: fail rather than hang.
constexpr auto kStallTimeout = std::chrono::seconds(30);

class ClipFailure : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace

const char* toString(ClipState s) {
  switch (s) {
    case ClipState::Queued:
      return "queued";
    case ClipState::Processing:
      return "processing";
    case ClipState::Completed:
      return "completed";
    case ClipState::Failed:
      return "failed";
    case ClipState::Cancelled:
      return "cancelled";
  }
  return "failed";
}

ClipJob::ClipJob(Options opts) : opts_(std::move(opts)) {}
ClipJob::~ClipJob() = default;

ClipProgress ClipJob::progress() const {
  std::lock_guard lock(mu_);
  ClipProgress p = progress_;
  if (p.state == ClipState::Processing && p.framesDone > 0) {
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - startedAt_).count();
    p.fps = s > 0 ? static_cast<double>(p.framesDone) / s : 0;
  }
  return p;
}

void ClipJob::cancel() noexcept {
  cancelled_.store(true);
  std::lock_guard lock(mu_);
  if (pipeline_) pipeline_->interrupt("cancelled");
  if (progress_.state == ClipState::Queued) progress_.state = ClipState::Cancelled;
}

void ClipJob::finish(ClipState state, const std::string& error) {
  std::lock_guard lock(mu_);
  if (progress_.framesDone > 0 && state != ClipState::Queued) {
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - startedAt_).count();
    progress_.fps = s > 0 ? static_cast<double>(progress_.framesDone) / s : 0;
  }
  progress_.state = state;
  progress_.error = error;
}

void ClipJob::run() noexcept {
  {
    std::lock_guard lock(mu_);
    if (cancelled_.load() || progress_.state != ClipState::Queued) {
      progress_.state = ClipState::Cancelled;
      return;
    }
    progress_.state = ClipState::Processing;
    startedAt_ = std::chrono::steady_clock::now();
  }
  lowerThreadPriority(opts_.niceness);
  try {
    process();
    finish(ClipState::Completed);
  } catch (const std::exception& e) {
    finish(cancelled_.load() ? ClipState::Cancelled : ClipState::Failed,
           cancelled_.load() ? std::string() : e.what());
  } catch (...) {
    finish(ClipState::Failed, "internal error");
  }
  if (progress().state != ClipState::Completed) {
    std::error_code ec;
    std::filesystem::remove(opts_.output, ec);
  }
}

void ClipJob::process() {
  ClipPipeline pipeline(
      {opts_.input, opts_.output, opts_.niceness, std::max(1, opts_.encoderThreads)});
  {
    std::lock_guard lock(mu_);
    if (cancelled_.load()) throw ClipFailure("cancelled");
    pipeline_ = &pipeline;
  }
  // Detaches cancel() from the pipeline before it is destroyed, however this ends.
  struct Detach {
    ClipJob* job;
    ~Detach() {
      std::lock_guard lock(job->mu_);
      job->pipeline_ = nullptr;
    }
  } detach{this};
  if (!pipeline.start()) throw ClipFailure(pipeline.error());

  const auto pullFrame = [&](SamplePtr& sample, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      switch (pipeline.pull(sample, kPollInterval)) {
        case ClipPipeline::Pull::Frame:
          return true;
        case ClipPipeline::Pull::End:
          return false;
        case ClipPipeline::Pull::Error:
          throw ClipFailure(pipeline.error());
        case ClipPipeline::Pull::Timeout:
          if (cancelled_.load()) throw ClipFailure("cancelled");
          if (std::chrono::steady_clock::now() >= deadline)
            throw ClipFailure(limit == opts_.limits.firstFrameTimeout
                                  ? "no video frame could be decoded from the file"
                                  : "the decoder stalled");
          break;
      }
    }
  };

  SamplePtr sample;
  if (!pullFrame(sample, opts_.limits.firstFrameTimeout))
    throw ClipFailure("the file has no video frame");

  GstVideoInfo inInfo;
  if (!gst_video_info_from_caps(&inInfo, gst_sample_get_caps(sample.get())))
    throw ClipFailure("the decoded video has no usable format");
  const int w = GST_VIDEO_INFO_WIDTH(&inInfo), h = GST_VIDEO_INFO_HEIGHT(&inInfo);
  const int fpsN = GST_VIDEO_INFO_FPS_N(&inInfo), fpsD = GST_VIDEO_INFO_FPS_D(&inInfo);
  if (w > opts_.limits.maxWidth || h > opts_.limits.maxHeight ||
      int64_t{w} * h > opts_.limits.maxPixels)
    throw ClipFailure("the clip is " + std::to_string(w) + "x" + std::to_string(h) +
                      ", past the server's image size limits");
  const GstClockTime maxNs =
      static_cast<GstClockTime>(opts_.limits.maxDuration.count()) * GST_SECOND;
  const GstClockTime duration = pipeline.duration();
  if (GST_CLOCK_TIME_IS_VALID(duration) && duration > maxNs + GST_SECOND / 2)
    throw ClipFailure("the clip lasts " + std::to_string(duration / GST_SECOND) +
                      " s, past the limit of " + std::to_string(opts_.limits.maxDuration.count()) +
                      " s");
  {
    std::lock_guard lock(mu_);
    progress_.width = w;
    progress_.height = h;
    progress_.hasAudio = pipeline.hasAudio();
    if (GST_CLOCK_TIME_IS_VALID(duration) && fpsN > 0 && fpsD > 0)
      progress_.framesTotal = gst_util_uint64_scale_round(duration, static_cast<guint64>(fpsN),
                                                          GST_SECOND * static_cast<guint64>(fpsD));
  }

  std::shared_ptr<FrameWorkflow> wf = opts_.makeWorkflow(w, h);
  if (!wf) throw ClipFailure("no workflow");

  int outW = 0, outH = 0;
  GstVideoInfo outInfo;
  std::vector<std::string> text;  // a clip has no text channel: what the workflow says is dropped
  GstClockTime end = 0;
  do {
    if (cancelled_.load()) throw ClipFailure("cancelled");
    GstBuffer* in = gst_sample_get_buffer(sample.get());
    const GstClockTime rt = runningTimeOf(sample.get());
    if (!in || !GST_CLOCK_TIME_IS_VALID(rt)) throw ClipFailure("a decoded frame has no timestamp");
    if (rt > maxNs)
      throw ClipFailure("the clip lasts longer than the limit of " +
                        std::to_string(opts_.limits.maxDuration.count()) + " s");
    GstVideoInfo frameInfo;
    if (!gst_video_info_from_caps(&frameInfo, gst_sample_get_caps(sample.get())) ||
        GST_VIDEO_INFO_WIDTH(&frameInfo) != w || GST_VIDEO_INFO_HEIGHT(&frameInfo) != h)
      throw ClipFailure("the clip changes size mid-way, which is not supported");

    BufferPtr out;
    FrameResult result;
    GstVideoFrame src;
    if (!gst_video_frame_map(&src, &frameInfo, in, GST_MAP_READ))
      throw ClipFailure("cannot read a decoded frame");
    if (!wf->passthrough()) result = wf->run(viewOf(src));
    wf->takeText(text);
    text.clear();
    if (result.kind == FrameResult::Kind::Picture) {
      if (outW == 0) {
        outW = result.width;
        outH = result.height;
        gst_video_info_set_format(&outInfo, GST_VIDEO_FORMAT_I420, outW, outH);
      }
      if (result.width != outW || result.height != outH) {
        gst_video_frame_unmap(&src);
        throw ClipFailure("the workflow's output changes size mid-way");
      }
      out.reset(gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&outInfo), nullptr));
      GstVideoFrame dst;
      if (gst_video_frame_map(&dst, &outInfo, out.get(), GST_MAP_WRITE)) {
        wf->write(viewOf(dst));
        gst_video_frame_unmap(&dst);
      }
    }
    gst_video_frame_unmap(&src);
    if (!out) {
      // Forward, or Drop (a node failed on this frame): a clip keeps every frame, so the input
      // goes on unchanged, counted.
      if (result.kind == FrameResult::Kind::Drop) {
        std::lock_guard lock(mu_);
        ++progress_.framesFailed;
      }
      if (outW == 0) {
        outW = w;
        outH = h;
        outInfo = frameInfo;
      }
      if (outW != w || outH != h) throw ClipFailure("the workflow's output changes size mid-way");
      // The decoded frame's layout may differ from a packed I420 one (strides): copy it so.
      if (GST_VIDEO_INFO_SIZE(&frameInfo) == GST_VIDEO_INFO_SIZE(&outInfo) &&
          gst_video_info_is_equal(&frameInfo, &outInfo)) {
        out.reset(gst_buffer_copy(in));
      } else {
        out.reset(gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&outInfo), nullptr));
        GstVideoFrame a, b;
        if (gst_video_frame_map(&a, &frameInfo, in, GST_MAP_READ)) {
          if (gst_video_frame_map(&b, &outInfo, out.get(), GST_MAP_WRITE)) {
            gst_video_frame_copy(&b, &a);
            gst_video_frame_unmap(&b);
          }
          gst_video_frame_unmap(&a);
        }
      }
    }
    const GstClockTime dur = GST_BUFFER_DURATION(in);
    GST_BUFFER_PTS(out.get()) = rt;
    GST_BUFFER_DTS(out.get()) = rt;
    GST_BUFFER_DURATION(out.get()) = dur;
    end = GST_CLOCK_TIME_IS_VALID(dur) ? rt + dur : rt;
    sample.reset();
    if (!pipeline.push(std::move(out), outW, outH, fpsN, fpsD))
      throw ClipFailure(pipeline.error().empty() ? "the encoder refused a frame"
                                                 : pipeline.error());
    {
      std::lock_guard lock(mu_);
      ++progress_.framesDone;
      progress_.durationS = static_cast<double>(end) / GST_SECOND;
    }
  } while (pullFrame(sample, kStallTimeout));

  if (!pipeline.finish(opts_.limits.finishTimeout)) throw ClipFailure(pipeline.error());
  pipeline.stop();
  std::lock_guard lock(mu_);
  progress_.hasAudio = pipeline.hasAudio();
  if (progress_.framesTotal < progress_.framesDone) progress_.framesTotal = progress_.framesDone;
}

}  // namespace cs
