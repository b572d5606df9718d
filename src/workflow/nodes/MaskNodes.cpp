// Mask operations with ComfyUI's semantics (MASK = float [0,1]).
#include "workflow/NodeRegistry.h"

namespace cs {

void registerMaskNodes(NodeRegistry&) {}

}  // namespace cs
