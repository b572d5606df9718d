#include "workflow/Prompt.h"

#include <string>

#include "workflow/WorkflowError.h"

namespace cs {
namespace {

[[noreturn]] void invalid(const std::string& message, const std::string& details = {}) {
  throw WorkflowError("invalid_prompt", message, details);
}

void checkShape(const nlohmann::json& prompt, size_t index) {
  const std::string where = "workflow " + std::to_string(index);
  if (!prompt.is_object()) invalid(where + " is not a JSON object of nodes");
  if (prompt.empty()) invalid(where + " has no nodes");
  if (prompt.size() > kMaxWorkflowNodes)
    invalid(where + " has " + std::to_string(prompt.size()) + " nodes; the limit is " +
            std::to_string(kMaxWorkflowNodes));
  for (const auto& [id, node] : prompt.items()) {
    if (!node.is_object()) invalid("node '" + id + "' is not an object", "Node ID '#" + id + "'");
    if (!node.contains("class_type") || !node["class_type"].is_string())
      invalid("node '" + id + "' has no class_type", "Node ID '#" + id + "'");
    if (node.contains("inputs") && !node["inputs"].is_object())
      invalid("node '" + id + "': inputs must be an object", "Node ID '#" + id + "'");
  }
}

}  // namespace

std::vector<nlohmann::json> parsePrompts(const nlohmann::json& body) {
  std::vector<nlohmann::json> prompts;
  if (body.is_array()) {
    if (body.empty()) invalid("the list of workflows is empty");
    if (body.size() > kMaxWorkflows)
      invalid("a list of " + std::to_string(body.size()) + " workflows; the limit is " +
              std::to_string(kMaxWorkflows));
    for (const auto& p : body) prompts.push_back(p);
  } else {
    prompts.push_back(body);
  }
  for (size_t i = 0; i < prompts.size(); ++i) checkShape(prompts[i], i);
  return prompts;
}

nlohmann::json convertPrompt(nlohmann::json prompt) {
  int primary = 0, inputs = 0, outputs = 0, loadImages = 0;
  for (const auto& [id, node] : prompt.items()) {
    const std::string t = node["class_type"];
    if (t == "PrimaryInputLoadImage") ++primary;
    if (t == "LoadImage" || t == "LoadTensor" || t == "LoadAudioTensor") ++inputs;
    if (t == "LoadImage") ++loadImages;
    if (t == "PreviewImage" || t == "SaveImage" || t == "SaveTensor" || t == "SaveAudioTensor" ||
        t == "SaveTextTensor")
      ++outputs;
  }
  if (primary > 1) invalid("too many primary inputs in prompt");
  if (primary == 0 && inputs > 2) invalid("too many inputs in prompt");
  if (outputs > 3) invalid("too many outputs in prompt");
  if (primary + inputs == 0) invalid("missing input");
  if (outputs == 0) invalid("missing output");

  for (auto& [id, node] : prompt.items()) {
    const std::string t = node["class_type"];
    if (t == "PrimaryInputLoadImage" || (t == "LoadImage" && primary == 0 && loadImages == 1)) {
      node = {{"inputs", nlohmann::json::object()},
              {"class_type", "LoadTensor"},
              {"_meta", {{"title", "LoadTensor"}}}};
    } else if (t == "PreviewImage" || t == "SaveImage") {
      node["class_type"] = "SaveTensor";
    }
  }
  return prompt;
}

nlohmann::json defaultPrompt() {
  return {{"1", {{"inputs", {{"images", {"2", 0}}}}, {"class_type", "SaveTensor"}}},
          {"2", {{"inputs", nlohmann::json::object()}, {"class_type", "LoadTensor"}}}};
}

}  // namespace cs
