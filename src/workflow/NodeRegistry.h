#pragma once
// Node types by class_type. Nodes that need a backend this build does not have (diffusion,
// TensorRT engines, …) are known by name, so a workflow using them is refused with the reason
// instead of "does not exist".
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "workflow/Node.h"

namespace cs {

class NodeRegistry {
 public:
  struct Entry {
    NodeSpec spec;
    NodeFactory make;
  };

  // Every node this build supports, registered once.
  static const NodeRegistry& builtin();

  void add(NodeSpec spec, NodeFactory make);
  void markUnsupported(const std::string& classType, const std::string& reason);

  const Entry* find(const std::string& classType) const;
  std::optional<std::string> unsupportedReason(const std::string& classType) const;
  std::vector<std::string> classTypes() const;

 private:
  std::map<std::string, Entry> entries_;
  std::map<std::string, std::string> unsupported_;
};

// One function per nodes/ file; NodeRegistry::builtin() calls each. (Explicit calls, not static
// initialisers: the linker drops unreferenced objects from a static library.)
void registerIoNodes(NodeRegistry&);
void registerImageNodes(NodeRegistry&);
void registerTransformNodes(NodeRegistry&);
void registerMaskNodes(NodeRegistry&);
void registerModelNodes(NodeRegistry&);
void registerAudioNodes(NodeRegistry&);
void registerUnsupportedNodes(NodeRegistry&);

}  // namespace cs
