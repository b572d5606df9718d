#pragma once
// ComfyUI API-format workflows ("prompts") as the original comfystream accepts them.
#include <nlohmann/json.hpp>
#include <vector>

namespace cs {

// A request carries at most this many workflows, each of at most this many nodes (the compiler
// walks links recursively; real workflows have tens of nodes). docs/security/LIMITS.md.
inline constexpr size_t kMaxWorkflows = 16;
inline constexpr size_t kMaxWorkflowNodes = 1000;

// A request may carry one workflow (an object: node id → {class_type, inputs, _meta?}) or a list
// of them. Checks the shape of every node. Throws WorkflowError (invalid_prompt).
std::vector<nlohmann::json> parsePrompts(const nlohmann::json& body);

// The original's convert_prompt: at most one PrimaryInputLoadImage; without one, at most two
// inputs; at most three outputs; at least one input and one output. Rewrites
// PrimaryInputLoadImage (or a lone LoadImage) into LoadTensor and PreviewImage/SaveImage into
// SaveTensor. Throws WorkflowError (invalid_prompt) with the original's messages.
nlohmann::json convertPrompt(nlohmann::json prompt);

// LoadTensor → SaveTensor, the original's default (passthrough) workflow.
nlohmann::json defaultPrompt();

}  // namespace cs
