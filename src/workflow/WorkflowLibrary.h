#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace cs {

// Named workflows: {workspace}/workflows/NAME.json (ComfyUI API format, one workflow or a list),
// then the built-ins (passthrough, invert).
class WorkflowLibrary {
 public:
  explicit WorkflowLibrary(std::string workspace) : workspace_(std::move(workspace)) {}
  // Throws ControlError: BadRequest for a bad or unknown name or a file that is not JSON.
  nlohmann::json load(const std::string& name) const;
  const std::string& workspace() const { return workspace_; }

 private:
  std::string workspace_;
};

}  // namespace cs
