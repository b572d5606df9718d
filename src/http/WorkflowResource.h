#pragma once
// The original comfystream's own routes: POST /offer (its signalling), POST /prompt, and the
// stream stats.
#include "http/Authorizer.h"
#include "http/Router.h"
#include "rtc/WebRtcGateway.h"
#include "workflow/WorkflowService.h"

namespace cs {

void addWorkflowRoutes(http::Router& router, WebRtcGateway& gateway, WorkflowService& workflows,
                       const http::Authorizer& auth);

}  // namespace cs
