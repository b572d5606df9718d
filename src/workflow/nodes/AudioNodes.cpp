// Audio nodes (the original comfystream's audio_utils).
#include "workflow/NodeRegistry.h"

namespace cs {

void registerAudioNodes(NodeRegistry&) {}

}  // namespace cs
