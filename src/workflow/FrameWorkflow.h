#pragma once
// The per-frame contract between a stream's pipeline and whatever processes its frames (the
// workflow engine's GraphWorkflow). Keeps GStreamer types out of the engine.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "media/VideoFrame.h"

namespace cs {

struct FrameResult {
  enum class Kind {
    Forward,  // send the input picture on unchanged (e.g. a workflow with no video output)
    Picture,  // write() produces a width × height picture
    Drop,     // nothing to show for this frame (a node failed); counted, not fatal
  } kind = Kind::Forward;
  int width = 0, height = 0;
};

class FrameWorkflow {
 public:
  virtual ~FrameWorkflow() = default;
  virtual std::string_view name() const = 0;
  // True when frames leave untouched: the pipeline then forwards the decoded buffer without
  // calling run().
  virtual bool passthrough() const { return false; }
  // Media path, on the stream's worker thread. Never throws.
  virtual FrameResult run(const I420View& in) noexcept = 0;
  // Writes the picture of the last run() (Kind::Picture) into out, sized as run() said.
  virtual void write(const I420View& out) noexcept = 0;
  // Text the last run() produced (SaveTextTensor), appended to out.
  virtual void takeText(std::vector<std::string>&) noexcept {}
};

}  // namespace cs
