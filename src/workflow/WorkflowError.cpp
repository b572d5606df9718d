#include "workflow/WorkflowError.h"

namespace cs {

nlohmann::json WorkflowError::toJson() const {
  nlohmann::json nodes = nlohmann::json::object();
  for (const auto& [id, ne] : nodeErrors_) {
    nlohmann::json errors = nlohmann::json::array();
    for (const auto& e : ne.errors) {
      nlohmann::json extra = nlohmann::json::object();
      if (!e.inputName.empty()) extra["input_name"] = e.inputName;
      errors.push_back({{"type", e.type},
                        {"message", e.message},
                        {"details", e.details},
                        {"extra_info", extra}});
    }
    nodes[id] = {{"errors", errors},
                 {"dependent_outputs", nlohmann::json::array()},
                 {"class_type", ne.classType}};
  }
  return {{"error",
           {{"type", type_},
            {"message", what()},
            {"details", details_},
            {"extra_info", nlohmann::json::object()}}},
          {"node_errors", nodes}};
}

}  // namespace cs
