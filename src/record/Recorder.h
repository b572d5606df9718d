#pragma once
// A server-side recording of one stream: the encoded H.264 access units its viewers get, and its
// Opus packets, muxed into Matroska without re-encoding. It is a viewer like any other: the
// stream's streaming threads hand it borrowed samples, and it never blocks them. Its own
// pipeline (appsrc → h264parse → matroskamux → fdsink) writes on its own threads; when it falls
// behind, the newest frames are dropped and counted and it resumes on a keyframe. A write error
// ends this recording ("failed", with the reason) and nothing else. See docs/RECORDING.md.
#include <gst/app/gstappsrc.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>

#include "record/RecordingStatus.h"
#include "stream/Viewer.h"
#include "util/GstPtr.h"
#include "util/MainLoop.h"
#include "util/UniqueFd.h"

namespace cs {

class Recorder final : public Viewer, public std::enable_shared_from_this<Recorder> {
 public:
  static constexpr const char* kExtension = "mkv";

  struct Options {
    std::filesystem::path path;
    bool withAudio = false;  // a track for the stream's Opus packets
    // Asks the stream's H.264 encoder for a keyframe: called at start and after a drop. Any
    // thread; must not block.
    std::function<void()> requestKeyframe;
    // Called once on the main loop when the file is closed (stopped or failed).
    std::function<void(const RecordingStatus&)> onFinished;
  };

  // Creates opts.path (never overwrites a file) and builds the pipeline. Control plane; throws
  // ControlError(Internal) naming the path and the reason.
  Recorder(SessionInfo info, Options opts, MainLoop& loop);
  // Writes into a file the caller opened (tests write into /dev/full this way).
  Recorder(SessionInfo info, Options opts, UniqueFd file, MainLoop& loop);
  ~Recorder() override;

  // Starts the pipeline and asks for a keyframe. Control plane; throws ControlError(Internal).
  void start();
  // Main loop only, never blocks: stops taking media, sends EOS so the muxer finalizes the file
  // (duration, cues), then sets the pipeline to NULL and closes the file. A muxer that has not
  // finished within a few seconds is stopped anyway; the file is still playable.
  void stop() override;
  // Waits (not on the main loop) until the file is closed; false when the timeout passed first.
  bool waitFinished(std::chrono::milliseconds timeout) const;
  bool finished() const;

  // Media entry points: the stream's streaming threads, borrowed samples carrying running-time
  // timestamps on the stream's clock. Never block, never throw.
  void onVideo(GstSample* encoded) noexcept override;
  void onAudio(GstSample* opus) noexcept override;

  // Viewer: the stream's H.264 encoder feeds it, and its audio when the recording has a track.
  std::optional<VideoCodec> videoCodec() const override { return VideoCodec::H264; }
  bool takesAudio() const override { return opts_.withAudio; }
  // Connected while recording, Closed once stopped, Failed after a write error (which also ends
  // the session: Session::ended()).
  ConnectionState state() const override;
  // A recorder has no peer to fall silent: the registry's watchdog leaves it alone.
  std::chrono::steady_clock::time_point lastActivity() const override {
    return std::chrono::steady_clock::now();
  }
  ViewerStats stats() const override;

  const std::filesystem::path& path() const { return opts_.path; }
  RecordingStatus status() const;

 private:
  void build();
  bool pushAudioLocked(GstBuffer* buf, GstClockTime pts, GstClockTime duration) noexcept;
  void fillAudioGapLocked(GstClockTime videoPts) noexcept;
  void fail(const std::string& reason) noexcept;
  void postFinalize() noexcept;
  void finalize();  // main loop
  static GstBusSyncReply onBusMessage(GstBus*, GstMessage*, gpointer self);
  static GstPadProbeReturn onMuxVideoInput(GstPad*, GstPadProbeInfo*, gpointer self);
  static GstPadProbeReturn onMuxAudioInput(GstPad*, GstPadProbeInfo*, gpointer self);
  static GstPadProbeReturn onFileOutput(GstPad*, GstPadProbeInfo*, gpointer self);

  const Options opts_;
  MainLoop& loop_;
  const double startedAt_;
  UniqueFd file_;
  bool createdFile_ = false;  // opts_.path was created here (not a caller's descriptor)
  ElementPtr pipeline_;
  GstAppSrc* videoSrc_ = nullptr;  // owned by the pipeline
  GstAppSrc* audioSrc_ = nullptr;

  // Media state, shared by the video and audio threads; held only for a push into an appsrc.
  std::mutex mediaMu_;
  bool haveStart_ = false;
  GstClockTime t0_ = 0;  // running time of the first keyframe: the file's zero
  bool needKeyframe_ = true;
  GstClockTime lastVideoPts_ = GST_CLOCK_TIME_NONE;
  GstClockTime lastAudioPts_ = GST_CLOCK_TIME_NONE;
  GstClockTime audioEnd_ = 0;  // end of the last audio packet queued (real or filler)

  std::atomic<bool> accepting_{false};
  std::atomic<bool> failed_{false};
  std::atomic<uint64_t> framesWritten_{0}, framesDropped_{0};
  std::atomic<uint64_t> audioWritten_{0}, audioDropped_{0}, silencePackets_{0};
  std::atomic<uint64_t> endNs_{0};  // end of the media handed to the muxer
  std::atomic<uint64_t> bytes_{0};
  CapsPtr videoCaps_;  // the video track's caps, fixed by the first ones (video thread only)
  // fdsink's streaming thread only.
  uint64_t filePos_ = 0;
  std::chrono::steady_clock::time_point lastSync_{};

  // Lifecycle (main loop), read by status() from any thread.
  mutable std::mutex stateMu_;
  mutable std::condition_variable finishedCv_;
  bool started_ = false;
  bool stopping_ = false;
  bool finalizePosted_ = false;
  bool finished_ = false;
  std::string error_;
};

}  // namespace cs
