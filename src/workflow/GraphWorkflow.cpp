#include "workflow/GraphWorkflow.h"

#include <libyuv.h>

#include "util/JsonLimits.h"
#include "util/RateLimitedLog.h"
#include "workflow/Prompt.h"
#include "workflow/WorkflowError.h"

namespace cs {

std::optional<nlohmann::json> builtinWorkflow(std::string_view name) {
  if (name == "passthrough") return defaultPrompt();
  if (name == "invert")
    return nlohmann::json{
        {"1", {{"class_type", "LoadTensor"}, {"inputs", nlohmann::json::object()}}},
        {"2", {{"class_type", "ImageInvert"}, {"inputs", {{"image", {"1", 0}}}}}},
        {"3", {{"class_type", "SaveTensor"}, {"inputs", {{"images", {"2", 0}}}}}}};
  return std::nullopt;
}

std::shared_ptr<GraphWorkflow> GraphWorkflow::build(std::string name, const nlohmann::json& body,
                                                    NodeContext& ctx,
                                                    const NodeRegistry& registry) {
  // Before any copy: nlohmann::json copies recursively (see util/JsonLimits.h).
  if (jsonDepth(body) > kMaxJsonDepth)
    throw WorkflowError("invalid_prompt", "the workflow is nested deeper than " +
                                              std::to_string(kMaxJsonDepth) + " levels");
  auto wf = std::make_shared<GraphWorkflow>();
  wf->name_ = std::move(name);
  wf->limits_ = ctx.limits;
  for (auto& p : parsePrompts(body)) {
    nlohmann::json converted = convertPrompt(std::move(p));
    auto graph = CompiledGraph::compile(converted, registry, ctx);
    if (graph->takesVideo() && graph->takesAudio())
      throw WorkflowError("invalid_prompt",
                          "a workflow takes either video (LoadTensor) or audio (LoadAudioTensor), "
                          "not both at once (as in the original comfystream, its issue #226); use "
                          "two workflows in a list");
    wf->graphs_.push_back(std::move(graph));
    wf->prompts_.push_back(std::move(converted));
  }
  // Video passes untouched when every graph is LoadTensor → SaveTensor or works on audio only.
  wf->passthrough_ = true;
  for (const auto& g : wf->graphs_)
    wf->passthrough_ =
        wf->passthrough_ && (g->isPassthrough() || (g->takesAudio() && !g->givesVideo()));
  return wf;
}

bool GraphWorkflow::givesText() const {
  for (const auto& g : graphs_)
    if (g->givesText()) return true;
  return false;
}

bool GraphWorkflow::givesVideo() const {
  for (const auto& g : graphs_)
    if (g->givesVideo()) return true;
  return false;
}

FrameResult GraphWorkflow::run(const I420View& in) noexcept {
  if (!limits_.allowsImage(in.width, in.height)) {
    CS_LOG_LIMITED(spdlog::level::warn, "workflow {}: input frame {}", name_,
                   limits_.describeImage(in.width, in.height));
    return {FrameResult::Kind::Drop};
  }
  // libyuv's "RAW" is R,G,B byte order: ComfyUI's IMAGE channel order.
  rgbIn_.create(in.height, in.width, CV_8UC3);
  libyuv::I420ToRAW(in.planes[0], in.strides[0], in.planes[1], in.strides[1], in.planes[2],
                    in.strides[2], rgbIn_.data, static_cast<int>(rgbIn_.step), in.width, in.height);
  cv::Mat picture;
  FrameContext frame;
  frame.inputImage = &rgbIn_;
  frame.outputImage = &picture;
  frame.textOutputs = &frameText_;
  bool wantsVideo = false;
  for (auto& g : graphs_) {
    if (g->takesAudio()) continue;  // runs on audio chunks instead
    g->run(frame);
    wantsVideo = wantsVideo || g->givesVideo();
  }
  if (!frameText_.empty()) {
    std::lock_guard lock(textMu_);
    for (auto& t : frameText_) text_.push_back(std::move(t));
    frameText_.clear();
    textPending_.store(true, std::memory_order_release);
  }
  if (!wantsVideo) return {FrameResult::Kind::Forward};
  if (picture.empty() || picture.type() != CV_8UC3) return {FrameResult::Kind::Drop};
  rgbOut_ = picture;  // shares the SaveTensor input's buffer until write()
  // I420 needs even dimensions; an odd-sized picture loses its last row/column.
  return {FrameResult::Kind::Picture, picture.cols & ~1, picture.rows & ~1};
}

void GraphWorkflow::write(const I420View& out) noexcept {
  libyuv::RAWToI420(rgbOut_.data, static_cast<int>(rgbOut_.step), out.planes[0], out.strides[0],
                    out.planes[1], out.strides[1], out.planes[2], out.strides[2], out.width,
                    out.height);
}

void GraphWorkflow::takeText(std::vector<std::string>& out) noexcept {
  if (!textPending_.exchange(false, std::memory_order_acquire)) return;
  std::lock_guard lock(textMu_);
  for (auto& t : text_) out.push_back(std::move(t));
  text_.clear();
}

bool GraphWorkflow::processesAudio() const {
  for (const auto& g : graphs_)
    if (g->takesAudio()) return true;
  return false;
}

void GraphWorkflow::runAudio(const Audio& in, Audio& out) noexcept {
  std::vector<std::string> text;  // audio graphs producing text (e.g. transcription) are rare
  FrameContext frame;
  frame.inputAudio = &in;
  frame.outputAudio = &out;
  frame.textOutputs = &text;
  for (auto& g : graphs_)
    if (g->takesAudio()) g->run(frame);
  if (!text.empty()) {
    std::lock_guard lock(textMu_);
    for (auto& t : text) text_.push_back(std::move(t));
    textPending_.store(true, std::memory_order_release);
  }
}

std::vector<GraphWorkflow::GraphTimings> GraphWorkflow::nodeTimings() const {
  std::vector<GraphTimings> out;
  out.reserve(graphs_.size());
  for (const auto& g : graphs_) out.push_back(g->timings());
  return out;
}

}  // namespace cs
