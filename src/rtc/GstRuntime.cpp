#include "rtc/GstRuntime.h"

#include <gst/gst.h>

#include "util/GstPtr.h"

namespace cs {

std::vector<std::string> initGstreamer(int* argc, char*** argv) {
  gst_init(argc, argv);
  std::vector<std::string> missing;
  for (const char* name :
       {"webrtcbin", "nicesrc", "dtlsdec", "srtpenc", "rtph264depay", "rtph264pay", "rtpvp8depay",
        "rtpvp8pay", "rtpopusdepay", "rtpopuspay", "h264parse", "avdec_h264", "vp8dec", "x264enc",
        "vp8enc", "videoconvert", "appsrc", "appsink"}) {
    GstPtr<GstElementFactory> f(gst_element_factory_find(name));
    if (!f) missing.push_back(name);
  }
  if (missing.empty()) {
    // The DTLS certificate is generated once per process on first use (300-650 ms of RSA key
    // generation, docs/GSTREAMER-NOTES.md §G12): pay it at start-up, not inside the first WHIP
    // request.
    ElementPtr dtls = adoptElement(gst_element_factory_make("dtlsdec", nullptr));
  }
  return missing;
}

}  // namespace cs
