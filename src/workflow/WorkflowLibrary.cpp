#include "workflow/WorkflowLibrary.h"

#include <filesystem>
#include <fstream>

#include "util/ControlError.h"
#include "workflow/GraphWorkflow.h"

namespace cs {

nlohmann::json WorkflowLibrary::load(const std::string& name) const {
  // Names are file stems, never paths: no separators, no "..".
  const bool valid = !name.empty() && name.size() <= 128 && name.find("..") == std::string::npos &&
                     name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                            "0123456789_-.") == std::string::npos;
  if (!valid)
    throw ControlError(ErrorKind::BadRequest, "invalid workflow name '" + name +
                                                  "' (letters, digits, '_', '-', '.')");
  if (!workspace_.empty()) {
    const auto path = std::filesystem::path(workspace_) / "workflows" / (name + ".json");
    std::ifstream in(path);
    if (in) {
      try {
        return nlohmann::json::parse(in);
      } catch (const nlohmann::json::exception& e) {
        throw ControlError(ErrorKind::BadRequest,
                           "workflow file " + path.string() + " is not valid JSON: " + e.what());
      }
    }
  }
  if (auto builtin = builtinWorkflow(name)) return *builtin;
  throw ControlError(ErrorKind::BadRequest,
                     "unknown workflow '" + name + "' (built in: passthrough, invert; others load from " +
                         (workspace_.empty() ? std::string("--workspace") : workspace_) +
                         "/workflows/NAME.json)");
}

}  // namespace cs
