#pragma once
// The GStreamer side of one clip job: one pipeline that decodes a file (filesrc → decodebin, any
// container and codec installed) into I420 frames the job pulls from an appsink, and encodes the
// frames the job pushes back (appsrc → x264enc → h264parse → mp4mux faststart → filesink). The
// file's first audio track goes from decodebin straight to the muxer as AAC (avenc_aac).
//
// Decode and encode share one pipeline (rather than a decoder and an encoder pipeline) so audio
// never crosses the job thread: GStreamer's own queues carry it to the muxer, and back-pressure
// holds everywhere. Nothing drops: the appsink (drop=false, a few buffers) blocks the decoder
// until the job pulls, and the appsrc (block=true) blocks the job until the encoder has room.
//
// Not live: no clock, every sink writes as fast as data comes. The caller's thread owns it and
// tears it down (it is not a streaming thread). Streaming threads start at `niceness` (the
// STREAM_STATUS ENTER message is posted from each new thread, synchronously).
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>

#include "util/GstPtr.h"

namespace cs {

class ClipPipeline {
 public:
  struct Options {
    std::filesystem::path input;
    std::filesystem::path output;
    int niceness = 0;
    int encoderThreads = 2;
  };

  // Builds the pipeline. Throws ControlError(Internal) when an element is missing.
  explicit ClipPipeline(Options opts);
  ~ClipPipeline();
  ClipPipeline(const ClipPipeline&) = delete;
  ClipPipeline& operator=(const ClipPipeline&) = delete;

  // Starts decoding. False (see error()) when the pipeline refuses to start.
  bool start();

  enum class Pull { Frame, Timeout, End, Error };
  // The next decoded I420 frame, waiting up to `timeout`. End once the file's video is done,
  // Error once the pipeline has failed (error() says why).
  Pull pull(SamplePtr& out, std::chrono::milliseconds timeout);
  // Queues one processed I420 frame (its PTS and duration set). The first frame fixes the
  // output's size; blocks while the encoder is behind. False after an error.
  bool push(BufferPtr frame, int width, int height, int fpsN, int fpsD);
  // No more frames: the muxer finishes the file. Waits up to `timeout` for it; false on an
  // error or when it did not finish in time.
  bool finish(std::chrono::milliseconds timeout);
  // Makes a waiting pull() or push() return at once, with `reason` as the error (cancel).
  // Any thread.
  void interrupt(const std::string& reason);
  // Stops at once (cancel, failure); the output is left as it is.
  void stop();

  // The file's duration as the demuxer reports it; GST_CLOCK_TIME_NONE when unknown.
  GstClockTime duration() const;
  bool hasAudio() const { return audioLinked_.load(); }
  std::string error() const;

 private:
  void fail(const std::string& reason);
  void onPadAdded(GstPad* pad);
  void onNoMorePads();
  static GstBusSyncReply onBusMessage(GstBus*, GstMessage*, gpointer self);

  const Options opts_;
  ElementPtr pipeline_;
  GstAppSink* videoSink_ = nullptr;  // owned by the pipeline
  GstAppSrc* videoSrc_ = nullptr;
  GstElement* videoIn_ = nullptr;  // where decodebin's video pad links
  bool capsSet_ = false;           // job thread only

  std::atomic<bool> videoLinked_{false}, audioLinked_{false};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool failed_ = false;
  bool eos_ = false;  // the pipeline's EOS: every sink, the file included, has finished
  std::string error_;
};

}  // namespace cs
