#pragma once
// HTTP routes of the BYOC worker:
//   POST /process/request/{capability} (and POST /{capability}, what a go-livepeer orchestrator
//        sends when the capability was registered with this server's base URL),
//   GET /byoc/session/{id}/status, DELETE /byoc/session/{id}, GET /byoc-stats,
//   POST /byoc/whip/{id}, POST /byoc/whep/{id} and DELETE on their Locations.
#include <httplib.h>

#include <string>

#include "byoc/ByocService.h"
#include "workflow/WorkflowError.h"

namespace cs {

void registerByocRoutes(httplib::Server& server, ByocService& byoc);

// "Authorization: Bearer <token>" (scheme case-insensitive, RFC 6750 §2.1), compared in
// constant time. An empty token accepts every request.
bool bearerMatches(const std::string& authorization, const std::string& token);

// A rejected workflow in the BYOC error shape: {"error": "<message>", "status_code": 400,
// "node_errors": {...}}.
void writeByocWorkflowError(httplib::Response& res, const WorkflowError& e);

}  // namespace cs
