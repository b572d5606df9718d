#pragma once
// What the WebRTC publisher and viewer have in common: how a webrtcbin's connection state reads
// in the stream core's words, and what a session's set-up needs.
#include <gst/webrtc/webrtc.h>

#include "rtc/MediaNetwork.h"
#include "stream/SessionStats.h"
#include "util/TaskQueue.h"
#include "workflow/WorkflowService.h"

namespace cs {

inline ConnectionState connectionStateOf(GstWebRTCPeerConnectionState s) {
  switch (s) {
    case GST_WEBRTC_PEER_CONNECTION_STATE_NEW:
      return ConnectionState::New;
    case GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTING:
      return ConnectionState::Connecting;
    case GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED:
      return ConnectionState::Connected;
    case GST_WEBRTC_PEER_CONNECTION_STATE_DISCONNECTED:
      return ConnectionState::Disconnected;
    case GST_WEBRTC_PEER_CONNECTION_STATE_FAILED:
      return ConnectionState::Failed;
    case GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED:
      return ConnectionState::Closed;
  }
  return ConnectionState::Failed;
}

inline bool isDead(GstWebRTCPeerConnectionState s) {
  return s == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED ||
         s == GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED;
}

// What every WebRTC session is set up with.
struct WebRtcContext {
  const MediaNetwork& network;
  // Where the original's data-channel messages are handled, off webrtcbin's threads.
  TaskQueue& controlTasks;
  WorkflowService& workflows;
};

}  // namespace cs
