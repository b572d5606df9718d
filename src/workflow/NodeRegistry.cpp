#include "workflow/NodeRegistry.h"

#include <stdexcept>

namespace cs {

const char* typeName(ValueType t) {
  switch (t) {
    case ValueType::Image:
      return "IMAGE";
    case ValueType::Mask:
      return "MASK";
    case ValueType::Int:
      return "INT";
    case ValueType::Float:
      return "FLOAT";
    case ValueType::String:
      return "STRING";
    case ValueType::Boolean:
      return "BOOLEAN";
    case ValueType::Audio:
      return "AUDIO";
    case ValueType::Model:
      return "MODEL";
    case ValueType::Combo:
      return "COMBO";
  }
  return "?";
}

int NodeSpec::inputIndex(const std::string& n) const {
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].name == n) return static_cast<int>(i);
  return -1;
}

const NodeRegistry& NodeRegistry::builtin() {
  static const NodeRegistry registry = [] {
    NodeRegistry r;
    registerIoNodes(r);
    registerImageNodes(r);
    registerTransformNodes(r);
    registerMaskNodes(r);
    registerModelNodes(r);
    registerAudioNodes(r);
    registerUnsupportedNodes(r);
    return r;
  }();
  return registry;
}

void NodeRegistry::add(NodeSpec spec, NodeFactory make) {
  const std::string name = spec.classType;
  if (!entries_.emplace(name, Entry{std::move(spec), std::move(make)}).second)
    throw std::logic_error("node type registered twice: " + name);
}

void NodeRegistry::markUnsupported(const std::string& classType, const std::string& reason) {
  if (!entries_.count(classType)) unsupported_[classType] = reason;
}

const NodeRegistry::Entry* NodeRegistry::find(const std::string& classType) const {
  auto it = entries_.find(classType);
  return it == entries_.end() ? nullptr : &it->second;
}

std::optional<std::string> NodeRegistry::unsupportedReason(const std::string& classType) const {
  auto it = unsupported_.find(classType);
  if (it == unsupported_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> NodeRegistry::classTypes() const {
  std::vector<std::string> out;
  for (const auto& [name, _] : entries_) out.push_back(name);
  return out;
}

}  // namespace cs
