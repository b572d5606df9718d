#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace cs {

// Named workflows: {workspace}/workflows/NAME.json (ComfyUI API format, one workflow or a list),
// then the built-ins (passthrough, invert).
class WorkflowLibrary {
 public:
  // Workflow files are the operator's, not a client's; still bounded: a bigger one is refused
  // before it is read.
  static constexpr uintmax_t kMaxWorkflowFileBytes = 16 << 20;
  // GET /workflows lists at most this many names, after looking at no more than
  // kMaxScannedFiles entries of {workspace}/workflows.
  static constexpr size_t kMaxListed = 256;
  static constexpr size_t kMaxScannedFiles = 4096;

  struct Entry {
    std::string name;
    std::string source;  // "builtin" or "workspace"
  };
  struct Listing {
    std::vector<Entry> workflows;  // sorted by name
    bool truncated = false;        // more than kMaxListed names, or more files than scanned
  };

  explicit WorkflowLibrary(std::string workspace) : workspace_(std::move(workspace)) {}
  // Throws ControlError: BadRequest for a bad or unknown name or a file that is not JSON.
  nlohmann::json load(const std::string& name) const;
  // The same, but nullopt for a name that is valid and names nothing.
  std::optional<nlohmann::json> find(const std::string& name) const;
  // Every name load() would accept: the workspace's files (those with a valid stem, regular, not
  // over the size cap; their JSON is not parsed here) and the built-ins a file does not shadow.
  Listing list() const;
  const std::string& workspace() const { return workspace_; }

 private:
  std::string workspace_;
};

// A workflow name is a file stem, never a path: letters, digits, '_', '-', '.', no "..", at most
// 128 characters.
bool isValidWorkflowName(const std::string& name);

}  // namespace cs
