#pragma once
#include <string>

#include "workflow/NodeRegistry.h"

namespace cs {

// docs/NODES.md, generated from the registry's specs (`comfystream --list-nodes`).
std::string nodesMarkdown(const NodeRegistry& registry);

}  // namespace cs
