#include "rtc/MediaNetwork.h"

#include <agent.h>
#include <gst/webrtc/webrtc.h>
#include <spdlog/spdlog.h>

#include "util/GstPtr.h"

namespace cs {

void configureIceAgent(GstElement* webrtcbin, const MediaNetwork& net) {
  GstWebRTCICE* ice = nullptr;
  g_object_get(webrtcbin, "ice-agent", &ice, nullptr);
  if (!ice) return;
  GstPtr<GstWebRTCICE> iceRef(ice);
  g_object_set(ice, "ice-tcp", FALSE, nullptr);
  if (net.minPort) g_object_set(ice, "min-rtp-port", guint(net.minPort), nullptr);
  if (net.maxPort) g_object_set(ice, "max-rtp-port", guint(net.maxPort), nullptr);

  NiceAgent* agent = nullptr;
  g_object_get(ice, "agent", &agent, nullptr);
  if (!agent) return;
  GObjectPtr<NiceAgent> agentRef(agent);
  g_object_set(agent, "upnp", FALSE, nullptr);
  if (!net.localIp.empty()) {
    NiceAddress addr;
    nice_address_init(&addr);
    if (nice_address_set_from_string(&addr, net.localIp.c_str()))
      nice_agent_add_local_address(agent, &addr);
    else
      spdlog::error("ICE: cannot use media address '{}'", net.localIp);
  }
}

}  // namespace cs
