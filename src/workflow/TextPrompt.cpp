#include "workflow/TextPrompt.h"

#include <cmath>
#include <sstream>

#include "util/ControlError.h"
#include "util/Utf8.h"

namespace cs {
namespace {

[[noreturn]] void bad(const std::string& message) {
  throw ControlError(ErrorKind::BadRequest, message);
}

TextPrompt parseOne(const nlohmann::json& e, const std::string& where) {
  TextPrompt t;
  t.text = e["text"].get<std::string>();
  if (t.text.empty() || t.text.size() > kMaxTextPromptBytes)
    bad("'" + where + "[].text' must be 1-" + std::to_string(kMaxTextPromptBytes) + " bytes");
  if (!isValidUtf8(t.text)) bad("'" + where + "[].text' is not UTF-8");
  if (e.contains("weight") && !e["weight"].is_null()) {
    t.weight = e["weight"].get<double>();
    if (!std::isfinite(t.weight) || t.weight < -10 || t.weight > 10)
      bad("'" + where + "[].weight' must be a number within -10 to 10");
  }
  return t;
}

size_t bindOne(nlohmann::json& workflow, const std::string& text) {
  size_t n = 0;
  if (!workflow.is_object()) return 0;
  for (auto& [_, node] : workflow.items()) {
    if (!node.is_object() || !node.contains("inputs") || !node["inputs"].is_object()) continue;
    for (const char* name : {"text", "prompt"}) {
      auto it = node["inputs"].find(name);
      // A link ([node, output]) feeds the input from another node: the graph decides.
      if (it != node["inputs"].end() && it->is_string()) {
        *it = text;
        ++n;
      }
    }
  }
  return n;
}

}  // namespace

bool isTextPrompt(const nlohmann::json& entry) {
  if (!entry.is_object() || !entry.contains("text") || !entry["text"].is_string()) return false;
  for (const auto& [key, value] : entry.items()) {
    if (key == "text") continue;
    if (key == "weight" && (value.is_number() || value.is_null())) continue;
    return false;
  }
  return true;
}

PromptParts splitTextPrompts(const nlohmann::json& prompts, const std::string& where) {
  PromptParts parts;
  if (isTextPrompt(prompts)) {
    parts.texts.push_back(parseOne(prompts, where));
    return parts;
  }
  if (!prompts.is_array()) {
    parts.workflows = prompts;
    return parts;
  }
  nlohmann::json workflows = nlohmann::json::array();
  for (const auto& e : prompts) {
    if (!isTextPrompt(e)) {
      workflows.push_back(e);
      continue;
    }
    if (parts.texts.size() == kMaxTextPrompts)
      bad("'" + where + "' holds more than " + std::to_string(kMaxTextPrompts) + " text prompts");
    parts.texts.push_back(parseOne(e, where));
  }
  // Only text: no workflow was given (the caller's default runs); otherwise what remains.
  if (!workflows.empty() || parts.texts.empty()) parts.workflows = std::move(workflows);
  return parts;
}

std::string combinedText(const std::vector<TextPrompt>& texts) {
  std::ostringstream out;
  for (size_t i = 0; i < texts.size(); ++i) {
    if (i) out << ", ";
    if (texts[i].weight == 1.0) {
      out << texts[i].text;
    } else {
      out << '(' << texts[i].text << ':' << texts[i].weight << ')';
    }
  }
  return out.str();
}

nlohmann::json toJson(const std::vector<TextPrompt>& texts) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& t : texts) out.push_back({{"text", t.text}, {"weight", t.weight}});
  return out;
}

size_t bindTextInputs(nlohmann::json& workflows, const std::string& text) {
  if (!workflows.is_array()) return bindOne(workflows, text);
  size_t n = 0;
  for (auto& w : workflows) n += bindOne(w, text);
  return n;
}

}  // namespace cs
