#pragma once
// The original comfystream's own routes: POST /offer (its signalling), POST /prompt, and the
// stream stats.
#include "http/Authorizer.h"
#include "http/Router.h"
#include "stream/StreamRegistry.h"

namespace cs {

void addWorkflowRoutes(http::Router& router, StreamRegistry& registry,
                       const http::Authorizer& auth);

}  // namespace cs
