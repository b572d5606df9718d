#pragma once
// A sample's running time: what every pipeline of a stream agrees on (they share one clock and
// base time), so decode, process and encode timestamps of one frame can be compared.
#include <gst/gst.h>

namespace cs {

// The running time of the sample's buffer PTS in the sample's segment; the PTS itself when the
// sample carries no segment (appsrc-made samples), GST_CLOCK_TIME_NONE when it has no PTS.
inline GstClockTime runningTimeOf(GstSample* sample) noexcept {
  const GstBuffer* buf = gst_sample_get_buffer(sample);
  if (!buf) return GST_CLOCK_TIME_NONE;
  const GstSegment* seg = gst_sample_get_segment(sample);
  return seg && seg->format == GST_FORMAT_TIME
             ? gst_segment_to_running_time(seg, GST_FORMAT_TIME, GST_BUFFER_PTS(buf))
             : GST_BUFFER_PTS(buf);
}

}  // namespace cs
