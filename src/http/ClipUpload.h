#pragma once
// A clip sent as JSON to POST /clips: `{"media_data": base64, "workflow"?: name, "prompts"?:
// workflow}`. Network input: the text is bounded by the upload cap, parsed with the bounded JSON
// parser (depth), and every field is checked before it is read.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace cs::http {

struct ClipUpload {
  std::string media;       // the decoded file, never empty
  std::string workflow;    // the body's name ("inline" for prompts without one); may be empty
  nlohmann::json prompts;  // null unless the body carries a workflow inline
};

// Throws ControlError(BadRequest) naming what is wrong.
ClipUpload parseClipUpload(std::string_view text);

}  // namespace cs::http
