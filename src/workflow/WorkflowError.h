#pragma once
// A rejected workflow, in ComfyUI's shape: {"error": {type, message, details, extra_info},
// "node_errors": {id: {"errors": [...], "dependent_outputs": [], "class_type": ...}}}, so the
// original's UI and scripts read it as they read ComfyUI's.
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace cs {

struct NodeErrorItem {
  std::string type;  // e.g. required_input_missing, value_smaller_than_min
  std::string message;
  std::string details;
  std::string inputName;
};

struct NodeErrors {
  std::string classType;
  std::vector<NodeErrorItem> errors;
};

class WorkflowError : public std::runtime_error {
 public:
  WorkflowError(std::string type, const std::string& message, std::string details = {},
                std::map<std::string, NodeErrors> nodeErrors = {})
      : std::runtime_error(message),
        type_(std::move(type)),
        details_(std::move(details)),
        nodeErrors_(std::move(nodeErrors)) {}

  const std::string& type() const { return type_; }
  const std::string& details() const { return details_; }
  const std::map<std::string, NodeErrors>& nodeErrors() const { return nodeErrors_; }
  nlohmann::json toJson() const;

 private:
  std::string type_;
  std::string details_;
  std::map<std::string, NodeErrors> nodeErrors_;
};

}  // namespace cs
