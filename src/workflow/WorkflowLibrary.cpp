#include "workflow/WorkflowLibrary.h"

#include <filesystem>
#include <fstream>
#include <iterator>

#include "util/ControlError.h"
#include "util/JsonLimits.h"
#include "util/LogEscape.h"
#include "workflow/GraphWorkflow.h"

namespace cs {
namespace {

// Workflow files are the operator's, not a client's; still parsed with the depth limit.
constexpr size_t kMaxWorkflowFileBytes = 16 << 20;

}  // namespace

nlohmann::json WorkflowLibrary::load(const std::string& name) const {
  // Names are file stems, never paths: no separators, no "..".
  const bool valid = !name.empty() && name.size() <= 128 && name.find("..") == std::string::npos &&
                     name.find_first_not_of(
                         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                         "0123456789_-.") == std::string::npos;
  if (!valid)
    throw ControlError(ErrorKind::BadRequest, "invalid workflow name '" + logSafe(name, 64) +
                                                  "' (letters, digits, '_', '-', '.')");
  if (!workspace_.empty()) {
    const auto path = std::filesystem::path(workspace_) / "workflows" / (name + ".json");
    std::ifstream in(path, std::ios::binary);
    if (in) {
      const std::string text((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
      try {
        return parseJsonBounded(text, kMaxJsonDepth, kMaxWorkflowFileBytes);
      } catch (const ControlError& e) {
        throw ControlError(ErrorKind::BadRequest, "workflow file " + logSafe(path.string()) +
                                                      " is not valid JSON: " + e.what());
      }
    }
  }
  if (auto builtin = builtinWorkflow(name)) return *builtin;
  throw ControlError(
      ErrorKind::BadRequest,
      "unknown workflow '" + name + "' (built in: passthrough, invert; others load from " +
          (workspace_.empty() ? std::string("--workspace") : workspace_) + "/workflows/NAME.json)");
}

}  // namespace cs
