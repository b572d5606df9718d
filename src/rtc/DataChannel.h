#pragma once
// A WebRTC data channel the client opened (the original's "control" and "data" channels).
#include <gst/webrtc/webrtc.h>

#include <functional>
#include <string>

#include "util/GstPtr.h"

namespace cs {

class DataChannel {
 public:
  // Called on a webrtcbin thread: must not block.
  using MessageHandler = std::function<void(const std::string&)>;

  DataChannel(GstWebRTCDataChannel* channel, MessageHandler onMessage);
  ~DataChannel();
  DataChannel(const DataChannel&) = delete;
  DataChannel& operator=(const DataChannel&) = delete;

  const std::string& label() const { return label_; }
  // Never blocks; a channel that is not open drops the message.
  void send(const std::string& text) noexcept;

 private:
  static void onMessageString(GstWebRTCDataChannel*, const gchar* text, gpointer self);

  GstPtr<GstWebRTCDataChannel> channel_;
  std::string label_;
  MessageHandler onMessage_;
};

}  // namespace cs
