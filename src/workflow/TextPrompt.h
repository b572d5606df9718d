#pragma once
// Text prompts, the BYOC seed's `"prompts": [{"text": "a beautiful sunset", "weight": 1.0}]`:
// what a diffusion workflow should draw, not a workflow. A request's prompts may mix them with
// ComfyUI workflows; the text is kept with the session and written into the workflows' text
// inputs (CLIPTextEncode's `text`, and the like).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace cs {

struct TextPrompt {
  std::string text;
  double weight = 1.0;
};

// Bounds: a request carries at most this many text prompts of at most this many bytes each.
inline constexpr size_t kMaxTextPrompts = 16;
inline constexpr size_t kMaxTextPromptBytes = 4096;

// {"text": string, "weight"?: number} and nothing else: a text prompt (a workflow's entries are
// node objects, never a string "text").
bool isTextPrompt(const nlohmann::json& entry);

// A request's prompts split into workflows and text prompts. `workflows` is what was given
// without the text entries: an object, a list, or null when only text (or nothing) was given.
struct PromptParts {
  nlohmann::json workflows;
  std::vector<TextPrompt> texts;
};
// Throws ControlError(BadRequest) naming `where` for a text prompt past the bounds, an empty or
// non-UTF-8 text, or a weight that is not a finite number within [-10, 10].
PromptParts splitTextPrompts(const nlohmann::json& prompts, const std::string& where);

// One prompt string, ComfyUI's emphasis syntax for weights other than 1: "a, (b:1.3)".
std::string combinedText(const std::vector<TextPrompt>& texts);

nlohmann::json toJson(const std::vector<TextPrompt>& texts);

// Writes `text` into every node input named "text" or "prompt" that holds a literal string (not
// a link) in `workflows` (one workflow or a list). Returns how many inputs were bound.
size_t bindTextInputs(nlohmann::json& workflows, const std::string& text);

}  // namespace cs
