#pragma once
// The original comfystream's own routes: POST /offer (its signalling), POST /prompt, and the
// stream stats.
#include <httplib.h>

#include "stream/StreamRegistry.h"

namespace cs {

void registerWorkflowRoutes(httplib::Server& server, StreamRegistry& registry);

}  // namespace cs
