#pragma once
// One workflow compiled into a plan: the nodes its outputs need, in dependency order, with every
// input bound once to a literal or to an upstream output slot. Running a frame is a walk over
// that vector; values live in slots that are reused frame after frame.
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "workflow/Node.h"
#include "workflow/NodeRegistry.h"
#include "workflow/NodeRunner.h"

namespace cs {

class CompiledGraph {
 public:
  // Validates and compiles one converted workflow. Throws WorkflowError naming every problem
  // (node id, class_type, input). Calls each node's configure() (models load here); whatever a
  // node throws there becomes an error on that node in the WorkflowError, never another type.
  static std::unique_ptr<CompiledGraph> compile(const nlohmann::json& prompt,
                                                const NodeRegistry& registry, NodeContext& ctx);

  // One frame through every step, each through its NodeRunner: a node that throws has no output
  // this frame (so the picture depending on it is dropped) and the steps after it still run, as
  // they would on an empty input.
  void run(FrameContext& frame) noexcept;

  bool takesVideo() const { return takesVideo_; }
  bool takesAudio() const { return takesAudio_; }
  bool givesVideo() const { return givesVideo_; }
  bool givesAudio() const { return givesAudio_; }
  bool givesText() const { return givesText_; }
  // LoadTensor → SaveTensor and nothing else: frames can bypass the graph untouched.
  bool isPassthrough() const { return passthrough_; }
  const nlohmann::json& prompt() const { return prompt_; }

  struct NodeTiming {
    std::string id, classType;
    double lastMs = 0;
    uint64_t failures = 0;  // frames on which the node threw
  };
  std::vector<NodeTiming> timings() const;

 private:
  struct Step {
    Step(std::string id, std::string classType) : runner(std::move(id), std::move(classType)) {}
    const std::string& id() const { return runner.id(); }
    const std::string& classType() const { return runner.classType(); }
    NodeRunner runner;
    std::unique_ptr<Node> node;
    std::vector<Value> literals;  // per input; monostate where linked
    std::vector<Value> outputs;
    std::unique_ptr<NodeArgs> args;
    double lastMs = 0;
  };
  std::vector<std::unique_ptr<Step>> steps_;
  nlohmann::json prompt_;
  bool takesVideo_ = false, takesAudio_ = false, givesVideo_ = false, givesAudio_ = false,
       givesText_ = false, passthrough_ = false;
};

}  // namespace cs
