#pragma once
// One of a stream's viewers: a sink of the stream's encoded media. A WHEP peer is one kind
// (rtc/WhepViewer), a recording another (record/Recorder). Every viewer of a codec receives the
// same encoded buffers (encode once per codec per stream).
#include <gst/gst.h>

#include <optional>

#include "media/VideoCodec.h"
#include "stream/Session.h"

namespace cs {

class Viewer : public Session {
 public:
  // What a viewer asks of its stream. Any thread; must not block.
  class Listener {
   public:
    // A decoder needs a fresh start (a new viewer, a PLI/FIR from a peer). Coalesced by the
    // encoder.
    virtual void onKeyframeRequest(VideoCodec codec) noexcept = 0;
    // A viewer that has just connected needs its first picture: served within the encoder's
    // minimum keyframe spacing even while PLIs are being rate-limited (KeyframeScheduler).
    virtual void onNewViewerKeyframeRequest(VideoCodec codec) noexcept { onKeyframeRequest(codec); }

   protected:
    ~Listener() = default;
  };

  using Session::Session;

  // Which of the stream's encoders feeds it; nullopt: no video.
  virtual std::optional<VideoCodec> videoCodec() const = 0;
  virtual bool takesAudio() const = 0;
  // Hot path, on the encoder's (or the audio path's) streaming thread, with a borrowed sample.
  // Never blocks and never throws: a viewer that falls behind drops and counts, alone.
  virtual void onVideo(GstSample* encoded) noexcept = 0;
  virtual void onAudio(GstSample* opus) noexcept = 0;
  virtual ViewerStats stats() const = 0;
};

}  // namespace cs
