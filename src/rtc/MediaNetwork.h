#pragma once
#include <gst/gst.h>

#include <cstdint>
#include <string>

namespace cs {

// Where the server's own ICE agent gathers: host candidates only, no STUN/TURN of its own.
struct MediaNetwork {
  std::string localIp;  // empty = every interface (libnice's default)
  uint16_t minPort = 0;
  uint16_t maxPort = 0;
  std::string publicIp;  // rewritten into answers, never gathered
};

// Applies MediaNetwork to a webrtcbin's ICE agent before negotiation: UPnP off (it delays every
// answer by 200 ms and sends SSDP multicast, docs/GSTREAMER-NOTES.md §G3), ICE-TCP off, port
// range, and the local address (libnice never gathers loopback by itself, §G4).
void configureIceAgent(GstElement* webrtcbin, const MediaNetwork& net);

}  // namespace cs
