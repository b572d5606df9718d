#pragma once
// A workflow of one or more ComfyUI API-format graphs, compiled once, run on every frame.
#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "workflow/CompiledGraph.h"
#include "workflow/FrameWorkflow.h"

namespace cs {

class GraphWorkflow final : public FrameWorkflow {
 public:
  // Parses (one workflow or a list), applies the original's conversions, validates and compiles.
  // Throws WorkflowError. Runs on the control plane: models load here, not on the media path.
  static std::shared_ptr<GraphWorkflow> build(
      std::string name, const nlohmann::json& prompts, NodeContext& ctx,
      const NodeRegistry& registry = NodeRegistry::builtin());

  std::string_view name() const override { return name_; }
  bool passthrough() const override { return passthrough_; }
  FrameResult run(const I420View& in) noexcept override;
  void write(const I420View& out) noexcept override;
  void takeText(std::vector<std::string>& out) noexcept override;

  // Audio graphs (those with LoadAudioTensor) run once per decoded audio chunk, on the stream's
  // audio thread; video graphs run on video frames. Appends processed samples to out.
  bool processesAudio() const;
  void runAudio(const Audio& in, Audio& out) noexcept;

  // The converted workflows (what get_nodes describes and update_prompts replaces).
  const nlohmann::json& prompts() const { return prompts_; }
  size_t graphCount() const { return graphs_.size(); }
  bool givesText() const;
  bool givesVideo() const;
  // Per graph (a workflow may be a list), the last frame's time of each node.
  using GraphTimings = std::vector<CompiledGraph::NodeTiming>;
  std::vector<GraphTimings> nodeTimings() const;

 private:
  std::string name_;
  nlohmann::json prompts_ = nlohmann::json::array();
  std::vector<std::unique_ptr<CompiledGraph>> graphs_;
  bool passthrough_ = false;
  WorkflowLimits limits_;
  // Worker-thread state, reused frame after frame.
  cv::Mat rgbIn_, rgbOut_;
  std::mutex textMu_;  // video and audio graphs may both produce text
  std::vector<std::string> text_, frameText_;
  std::atomic<bool> textPending_{false};  // lets takeText() skip the lock on frames without text
};

// The names every server knows without a workspace file: passthrough and invert.
std::optional<nlohmann::json> builtinWorkflow(std::string_view name);

}  // namespace cs
