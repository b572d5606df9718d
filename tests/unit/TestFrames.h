#pragma once
// Helpers that build real GStreamer I420 samples for unit tests.
#include <gst/gst.h>
#include <gst/video/video.h>

#include <cstring>

#include "util/GstPtr.h"

namespace cs::test {

// A w×h I420 sample filled with (y, u, v), stamped with pts in a [0, ∞) time segment.
inline SamplePtr makeI420Sample(int w, int h, uint8_t y, uint8_t u, uint8_t v, GstClockTime pts) {
  GstVideoInfo info;
  gst_video_info_set_format(&info, GST_VIDEO_FORMAT_I420, w, h);
  GstBuffer* buf = gst_buffer_new_allocate(nullptr, info.size, nullptr);
  GstVideoFrame f;
  gst_video_frame_map(&f, &info, buf, GST_MAP_WRITE);
  const uint8_t values[3] = {y, u, v};
  for (int p = 0; p < 3; ++p)
    std::memset(GST_VIDEO_FRAME_PLANE_DATA(&f, p), values[p],
                GST_VIDEO_FRAME_PLANE_STRIDE(&f, p) * GST_VIDEO_FRAME_COMP_HEIGHT(&f, p));
  gst_video_frame_unmap(&f);
  GST_BUFFER_PTS(buf) = pts;
  GST_BUFFER_DURATION(buf) = GST_SECOND / 30;
  CapsPtr caps(gst_video_info_to_caps(&info));
  GstSegment seg;
  gst_segment_init(&seg, GST_FORMAT_TIME);
  GstSample* s = gst_sample_new(buf, caps.get(), &seg, nullptr);
  gst_buffer_unref(buf);
  return SamplePtr(s);
}

}  // namespace cs::test
