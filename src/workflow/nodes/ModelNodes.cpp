// Nodes that run models from the workspace.
#include "workflow/NodeRegistry.h"

namespace cs {

void registerModelNodes(NodeRegistry&) {}

}  // namespace cs
