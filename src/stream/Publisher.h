#pragma once
// The one source of a stream's frames. WHIP is one kind (rtc/WhipPublisher); a trickle
// subscriber or a file are others. A publisher decodes its input and hands the stream raw video
// and Opus audio through Publisher::Listener.
#include <gst/gst.h>

#include "stream/Session.h"

namespace cs {

class Publisher : public Session {
 public:
  // What a publisher feeds: its stream. Called on the publisher's streaming threads with a
  // borrowed sample; must not block.
  class Listener {
   public:
    virtual void onPublisherVideo(GstSample* i420) noexcept = 0;
    virtual void onPublisherAudio(GstSample* opus) noexcept = 0;

   protected:
    ~Listener() = default;
  };

  using Session::Session;
  virtual PublisherStats stats() const = 0;
};

}  // namespace cs
