#pragma once
// RAII owners for GLib/GStreamer references. Every object the server creates is held by one of
// these, so an early return or an exception on the control plane cannot leak a pipeline.
#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#include <memory>

namespace cs {

struct GstObjectUnref {
  void operator()(gpointer p) const {
    if (p) gst_object_unref(p);
  }
};
struct GstMiniObjectUnref {
  void operator()(gpointer p) const {
    if (p) gst_mini_object_unref(GST_MINI_OBJECT_CAST(p));
  }
};
struct GObjectUnref {
  void operator()(gpointer p) const {
    if (p) g_object_unref(p);
  }
};
struct GFreeDeleter {
  void operator()(gpointer p) const { g_free(p); }
};
struct GErrorDeleter {
  void operator()(GError* e) const {
    if (e) g_error_free(e);
  }
};
struct SdpMessageDeleter {
  void operator()(GstSDPMessage* m) const {
    if (m) gst_sdp_message_free(m);
  }
};
struct SessionDescriptionDeleter {
  void operator()(GstWebRTCSessionDescription* d) const {
    if (d) gst_webrtc_session_description_free(d);
  }
};
struct PromiseUnref {
  void operator()(GstPromise* p) const {
    if (p) gst_promise_unref(p);
  }
};

template <typename T>
using GstPtr = std::unique_ptr<T, GstObjectUnref>;
template <typename T>
using GstMiniPtr = std::unique_ptr<T, GstMiniObjectUnref>;
template <typename T>
using GObjectPtr = std::unique_ptr<T, GObjectUnref>;
using GCharPtr = std::unique_ptr<gchar, GFreeDeleter>;
using GErrorPtr = std::unique_ptr<GError, GErrorDeleter>;
using SdpMessagePtr = std::unique_ptr<GstSDPMessage, SdpMessageDeleter>;
using SessionDescriptionPtr =
    std::unique_ptr<GstWebRTCSessionDescription, SessionDescriptionDeleter>;
using PromisePtr = std::unique_ptr<GstPromise, PromiseUnref>;

using ElementPtr = GstPtr<GstElement>;
using PadPtr = GstPtr<GstPad>;
using CapsPtr = GstMiniPtr<GstCaps>;
using SamplePtr = GstMiniPtr<GstSample>;
using BufferPtr = GstMiniPtr<GstBuffer>;

// Takes ownership of a floating reference (element factories return those).
inline ElementPtr adoptElement(GstElement* e) {
  if (e) gst_object_ref_sink(e);
  return ElementPtr(e);
}

}  // namespace cs
