#pragma once
// The per-frame contract between a stream's pipeline and whatever processes its frames. The
// workflow engine (ComfyUI API-format graphs) plugs in here; the built-in passthrough and invert
// are the first two implementations.
#include <memory>
#include <string>
#include <string_view>

#include "media/VideoFrame.h"

namespace cs {

class FrameWorkflow {
 public:
  virtual ~FrameWorkflow() = default;
  virtual std::string_view name() const = 0;
  // True when frames leave untouched: the pipeline then forwards the decoded buffer as-is.
  virtual bool passthrough() const { return false; }
  // Media path: writes the processed picture into out (same size as in). Never throws; runs on
  // the stream's own worker thread, so implementations need no locking.
  virtual void process(const I420View& in, const I420View& out) noexcept = 0;
};

// Built-in workflows by name ("passthrough", "invert"); nullptr for an unknown name.
std::unique_ptr<FrameWorkflow> makeBuiltinWorkflow(std::string_view name);

}  // namespace cs
