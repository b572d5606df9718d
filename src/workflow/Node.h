#pragma once
// A node: configured once when its workflow is compiled, run on every frame.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "workflow/Limits.h"
#include "workflow/NodeSpec.h"

namespace cs {

class ModelStore;

// Inputs of one node, in NodeSpec order: literals (validated and defaulted) or the outputs of
// upstream nodes. Accessors assume validation passed, which the compiler guarantees. An upstream
// node that failed on this frame leaves monostate in its outputs (NodeRunner): image(), mask()
// and audio() read that as empty, which every node already treats as "nothing to do".
class NodeArgs {
 public:
  explicit NodeArgs(std::vector<const Value*> values) : values_(std::move(values)) {}
  const Value& operator[](size_t i) const { return *values_[i]; }
  const cv::Mat& image(size_t i) const {
    static const cv::Mat kNone;
    const auto* v = std::get_if<Image>(values_[i]);
    return v ? v->rgb : kNone;
  }
  const cv::Mat& mask(size_t i) const {
    static const cv::Mat kNone;
    const auto* v = std::get_if<Mask>(values_[i]);
    return v ? v->alpha : kNone;
  }
  int64_t integer(size_t i) const { return std::get<int64_t>(*values_[i]); }
  double number(size_t i) const { return std::get<double>(*values_[i]); }
  const std::string& text(size_t i) const { return std::get<std::string>(*values_[i]); }
  bool boolean(size_t i) const { return std::get<bool>(*values_[i]); }
  const Audio& audio(size_t i) const {
    static const Audio kNone;
    const auto* v = std::get_if<Audio>(values_[i]);
    return v ? *v : kNone;
  }
  // nullptr when the model's loader had no output this frame.
  template <typename T>
  std::shared_ptr<T> model(size_t i) const {
    const auto* v = std::get_if<std::shared_ptr<ModelHandle>>(values_[i]);
    return v ? std::dynamic_pointer_cast<T>(*v) : nullptr;
  }
  bool present(size_t i) const { return !std::holds_alternative<std::monostate>(*values_[i]); }
  size_t size() const { return values_.size(); }

 private:
  std::vector<const Value*> values_;
};

// What the outside world gives a running graph, and what it takes back, for one frame.
struct FrameContext {
  const cv::Mat* inputImage = nullptr;  // RGB, from the stream's decoded frame
  const Audio* inputAudio = nullptr;    // when the workflow takes audio
  cv::Mat* outputImage = nullptr;       // SaveTensor writes here (shares the node's buffer)
  Audio* outputAudio = nullptr;
  std::vector<std::string>* textOutputs = nullptr;  // SaveTextTensor appends here
};

// Compile-time services: where models live, the stream's expected size.
struct NodeContext {
  ModelStore* models = nullptr;
  int width = 512, height = 512;
  WorkflowLimits limits;  // what a node may allocate (checked at validation and per frame)
};

class Node {
 public:
  virtual ~Node() = default;
  // Once per workflow load, with the literal inputs (linked ones are monostate here). Load models
  // and size buffers here, never per frame. Throw NodeInputError to reject a value; anything else
  // thrown here becomes an exception_during_validation error on this node (CompiledGraph::compile).
  virtual void configure(const NodeArgs&, NodeContext&) {}
  // Every frame, on the stream's worker thread. Writes outputs (sized like the spec's outputs).
  // A node that has nothing to output (empty input, a size over the limits) leaves its output
  // empty. It may throw (OpenCV, allocation, a model backend): NodeRunner, which CompiledGraph runs
  // every node through, catches it, empties the outputs, counts and logs. So nodes carry no
  // try/catch of their own for that.
  virtual void run(const NodeArgs& in, std::vector<Value>& out, FrameContext& frame) = 0;
};

// A value a node cannot use, found at configure time: names the input.
class NodeInputError : public std::runtime_error {
 public:
  NodeInputError(std::string input, const std::string& message)
      : std::runtime_error(message), input_(std::move(input)) {}
  const std::string& input() const { return input_; }

 private:
  std::string input_;
};

using NodeFactory = std::function<std::unique_ptr<Node>()>;

}  // namespace cs
