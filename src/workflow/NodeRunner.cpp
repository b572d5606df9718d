#include "workflow/NodeRunner.h"

#include <exception>

#include "util/LogEscape.h"

namespace cs {

bool NodeRunner::run(Node& node, const NodeArgs& in, std::vector<Value>& out,
                     FrameContext& frame) noexcept {
  try {
    node.run(in, out, frame);
    return true;
  } catch (const std::exception& e) {  // cv::Exception is one, with a multi-line what()
    fail(out, e.what());
  } catch (...) {
    fail(out, "an exception that is not a std::exception");
  }
  return false;
}

void NodeRunner::fail(std::vector<Value>& out, const char* what) noexcept {
  // Outputs left as they were would hand the previous frame's values downstream.
  for (auto& v : out) v = std::monostate{};
  failures_.fetch_add(1, std::memory_order_relaxed);
  if (const uint64_t n = log_.admit()) {
    try {
      spdlog::warn("workflow node #{} ({}) failed: {}; its outputs are empty for this frame (x{})",
                   logSafe(id_), classType_, logSafe(what, 400), n);
    } catch (...) {  // a log line that cannot be formatted must not take the stream down
    }
  }
}

}  // namespace cs
