#pragma once
// A mapped GStreamer I420 frame as the workflow engine's I420View (no copy: the view borrows the
// frame's planes while it stays mapped). Kept apart from VideoFrame.h so the workflow engine never
// includes GStreamer.
#include <gst/video/video.h>

#include "media/VideoFrame.h"

namespace cs {

inline I420View viewOf(GstVideoFrame& f) {
  I420View v;
  v.width = GST_VIDEO_FRAME_WIDTH(&f);
  v.height = GST_VIDEO_FRAME_HEIGHT(&f);
  for (int p = 0; p < 3; ++p) {
    v.planes[p] = static_cast<uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&f, p));
    v.strides[p] = GST_VIDEO_FRAME_PLANE_STRIDE(&f, p);
  }
  return v;
}

}  // namespace cs
