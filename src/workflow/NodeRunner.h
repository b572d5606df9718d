#pragma once
// Runs one node of a compiled graph on one frame: the single place on the media path where a
// node's exception is caught. Nodes throw freely (OpenCV, allocation, a model backend, a bad
// variant access); the runner turns that into "this node has no output for this frame", counts
// it and logs it, rate-limited, naming the node. Graph compilation has its own single catch
// (CompiledGraph::compile turns a throwing configure() into a WorkflowError naming the node).
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "util/RateLimitedLog.h"
#include "workflow/Node.h"

namespace cs {

class NodeRunner {
 public:
  NodeRunner(std::string id, std::string classType)
      : id_(std::move(id)), classType_(std::move(classType)) {}
  NodeRunner(const NodeRunner&) = delete;
  NodeRunner& operator=(const NodeRunner&) = delete;

  // node.run() for one frame. When it throws, whatever it is, every output becomes monostate
  // ("no value this frame": downstream nodes read an empty image, mask or audio block, so the
  // frame's picture is dropped and counted in the stream's frames_failed), the failure is counted
  // and a warning names the node (one line per node per 5 s at most). Returns false then.
  bool run(Node& node, const NodeArgs& in, std::vector<Value>& out, FrameContext& frame) noexcept;

  // Frames on which this node threw.
  uint64_t failures() const { return failures_.load(std::memory_order_relaxed); }
  const std::string& id() const { return id_; }
  const std::string& classType() const { return classType_; }

 private:
  void fail(std::vector<Value>& out, const char* what) noexcept;

  std::string id_, classType_;
  LogLimiter log_;  // per node: one broken node must not silence the log of another
  std::atomic<uint64_t> failures_{0};
};

}  // namespace cs
