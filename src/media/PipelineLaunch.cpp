#include "media/PipelineLaunch.h"

#include "util/ControlError.h"

namespace cs {

ElementPtr launchPipeline(const std::string& description, const std::string& what) {
  GError* err = nullptr;
  GstElement* p = gst_parse_launch(description.c_str(), &err);
  GErrorPtr e(err);
  // gst_parse_launch may return a pipeline *and* an error (a recoverable one, such as a missing
  // property): either way it is not the pipeline asked for.
  if (!p || e) {
    if (p) gst_object_unref(p);
    throw ControlError(ErrorKind::Internal,
                       "cannot build " + what + ": " + (e ? e->message : std::string("?")));
  }
  return adoptElement(p);
}

void useStreamClock(GstElement* pipeline, GstClockTime baseTime) {
  GstPtr<GstClock> clock(gst_system_clock_obtain());
  gst_pipeline_use_clock(GST_PIPELINE(pipeline), clock.get());
  // No start time: the pipeline must not pick its own base time when it goes to PLAYING.
  gst_element_set_start_time(pipeline, GST_CLOCK_TIME_NONE);
  gst_element_set_base_time(pipeline, baseTime);
}

}  // namespace cs
