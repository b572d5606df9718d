#pragma once
// HTTP routes of the BYOC worker (docs/BYOC.md):
//   POST /process/request/{capability} (and POST /{capability}, what a go-livepeer orchestrator
//        sends when the capability was registered with this server's base URL),
//   GET /byoc/session/{id}/status, DELETE /byoc/session/{id}, GET /byoc-stats,
//   POST /byoc/whip/{id}, POST /byoc/whep/{id} and DELETE on their Locations.
// Errors are ErrorResponse's {"error": "<message>", "status_code": N}; a rejected workflow too
// (WorkflowErrorShape::Message), as the BYOC seed's clients read "error" as text.
#include <string>

#include "byoc/ByocService.h"
#include "http/Authorizer.h"
#include "http/Router.h"

namespace cs {

void addByocRoutes(http::Router& router, ByocService& byoc, const http::Authorizer& auth);

// "Authorization: Bearer <token>" (scheme case-insensitive, RFC 6750 §2.1), compared in
// constant time. An empty token accepts every request.
bool bearerMatches(const std::string& authorization, const std::string& token);

}  // namespace cs
