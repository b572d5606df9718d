#include "workflow/WorkflowLibrary.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "util/ControlError.h"
#include "util/JsonLimits.h"
#include "util/LogEscape.h"
#include "workflow/GraphWorkflow.h"

namespace cs {
namespace {

constexpr const char* kBuiltins[] = {"passthrough", "invert"};

}  // namespace

bool isValidWorkflowName(const std::string& name) {
  return !name.empty() && name.size() <= 128 && name.find("..") == std::string::npos &&
         name.find_first_not_of(
             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
             "0123456789_-.") == std::string::npos;
}

std::optional<nlohmann::json> WorkflowLibrary::find(const std::string& name) const {
  if (!isValidWorkflowName(name))
    throw ControlError(ErrorKind::BadRequest, "invalid workflow name '" + logSafe(name, 64) +
                                                  "' (letters, digits, '_', '-', '.')");
  if (!workspace_.empty()) {
    const auto path = std::filesystem::path(workspace_) / "workflows" / (name + ".json");
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    // Checked before reading: the file is never held whole past the cap.
    if (!ec && size > kMaxWorkflowFileBytes)
      throw ControlError(ErrorKind::BadRequest,
                         "workflow file " + logSafe(path.string()) + " is over " +
                             std::to_string(kMaxWorkflowFileBytes >> 20) + " MiB");
    std::ifstream in(path, std::ios::binary);
    if (!ec && in) {
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
  return builtinWorkflow(name);
}

nlohmann::json WorkflowLibrary::load(const std::string& name) const {
  if (auto found = find(name)) return std::move(*found);
  throw ControlError(
      ErrorKind::BadRequest,
      "unknown workflow '" + name + "' (built in: passthrough, invert; others load from " +
          (workspace_.empty() ? std::string("--workspace") : workspace_) + "/workflows/NAME.json)");
}

WorkflowLibrary::Listing WorkflowLibrary::list() const {
  // name → source; a workspace file shadows the built-in of its name, as in find().
  std::map<std::string, std::string> names;
  for (const char* b : kBuiltins) names[b] = "builtin";
  Listing out;
  if (!workspace_.empty()) {
    std::error_code ec;
    std::filesystem::directory_iterator it(std::filesystem::path(workspace_) / "workflows", ec);
    size_t scanned = 0;
    for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      if (++scanned > kMaxScannedFiles) {
        out.truncated = true;
        break;
      }
      const auto& path = it->path();
      std::error_code fileEc;
      if (path.extension() != ".json" || !it->is_regular_file(fileEc) || fileEc) continue;
      const std::string stem = path.stem().string();
      const auto size = it->file_size(fileEc);
      if (fileEc || size > kMaxWorkflowFileBytes || !isValidWorkflowName(stem)) continue;
      names[stem] = "workspace";
    }
  }
  for (auto& [name, source] : names) {
    if (out.workflows.size() == kMaxListed) {
      out.truncated = true;
      break;
    }
    out.workflows.push_back({name, source});
  }
  return out;
}

}  // namespace cs
