#pragma once
// Building the server's own GStreamer pipelines: from a gst-launch description, and on the
// stream's clock.
#include <gst/gst.h>

#include <string>

#include "util/GstPtr.h"

namespace cs {

// The pipeline a gst-launch description makes. Throws ControlError(Internal) "cannot build
// <what>: <GStreamer's reason>" when the description does not parse or an element is missing.
ElementPtr launchPipeline(const std::string& description, const std::string& what);

// Puts a pipeline on the system clock with the stream's base time, so the running times of all
// of a stream's pipelines agree (docs/GSTREAMER-NOTES.md §G13). Before the pipeline starts.
void useStreamClock(GstElement* pipeline, GstClockTime baseTime);

}  // namespace cs
