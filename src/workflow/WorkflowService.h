#pragma once
// The one place workflows are made: the named-workflow library, the process's model store
// (shared, so graphs share loaded models), and a small executor on which compiling (models load
// here) and warming up run under a deadline. WHIP, /offer, /prompt, the data channel and BYOC
// all come through here.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "util/BoundedExecutor.h"
#include "workflow/GraphWorkflow.h"
#include "workflow/Limits.h"
#include "workflow/ModelStore.h"
#include "workflow/Node.h"
#include "workflow/WorkflowLibrary.h"

namespace cs {

struct WorkflowSettings {
  std::string workspace;
  // What a workflow may allocate (--max-image-size, --max-image-pixels, --max-batch,
  // --max-model-size).
  WorkflowLimits limits;
  // Compile and warm-up run on `threads` dedicated threads, at most `queue` waiting; the caller
  // waits up to `timeout` (--warmup-timeout), then gets 503 and the late result is discarded.
  std::chrono::milliseconds timeout{15'000};
  unsigned threads = 2;
  size_t queue = 8;
};

// A workflow before it is compiled: a name (for logs and stats) and its ComfyUI API-format JSON
// (one workflow or a list).
struct WorkflowSource {
  std::string name;
  std::shared_ptr<const nlohmann::json> prompts;

  static WorkflowSource of(std::string name, nlohmann::json prompts) {
    return {std::move(name), std::make_shared<const nlohmann::json>(std::move(prompts))};
  }
};

class WorkflowService {
 public:
  // Runs a compiled workflow a few times before it goes live (on real frames where there are
  // some); stops early once *cancel is set.
  using WarmUp = std::function<void(GraphWorkflow&, const std::atomic<bool>* cancel)>;

  explicit WorkflowService(WorkflowSettings settings);

  // A workflow of the library: {workspace}/workflows/NAME.json or a built-in. Throws
  // ControlError(BadRequest) for an unknown or broken one.
  WorkflowSource named(const std::string& name) const;

  // Compiles `source` at width × height and warms it up, on the executor, under the deadline.
  // Throws WorkflowError (refused, with ComfyUI's node errors), ControlError(BadRequest) for a
  // size past the limits, or ControlError(Capacity) when the executor is full or the deadline
  // passes (a late workflow is then discarded, never returned).
  std::shared_ptr<GraphWorkflow> prepare(const WorkflowSource& source, int width, int height,
                                         const WarmUp& warmUp, const std::string& what);
  // Warms up a workflow compiled earlier (compile()), on the executor, under the deadline.
  std::shared_ptr<GraphWorkflow> warmUp(std::shared_ptr<GraphWorkflow> compiled,
                                        const WarmUp& warmUp, const std::string& what);
  // Compiles without warming up, for callers that install the workflow later.
  std::shared_ptr<GraphWorkflow> compile(const WorkflowSource& source, int width, int height);

  // The named workflows themselves (GET /workflows lists and shows them).
  const WorkflowLibrary& library() const { return library_; }

  NodeContext nodeContext(int width = 512, int height = 512);
  const WorkflowLimits& limits() const { return settings_.limits; }
  ModelStore& models() { return models_; }

 private:
  void checkSize(int width, int height) const;

  const WorkflowSettings settings_;
  WorkflowLibrary library_;
  ModelStore models_;
  BoundedExecutor executor_;
};

}  // namespace cs
