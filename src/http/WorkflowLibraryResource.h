#pragma once
// The workflow library for the studio: GET /workflows (the names WHIP's ?workflow= takes),
// GET /workflows/{name} (one workflow's JSON) and POST /workflows/validate (what POST /prompt
// would do to the workflow, without doing it: the node errors, or the controls get_nodes would
// describe).
#include "http/Authorizer.h"
#include "http/Router.h"
#include "workflow/WorkflowService.h"

namespace cs {

void addWorkflowLibraryRoutes(http::Router& router, WorkflowService& workflows,
                              const http::Authorizer& auth);

}  // namespace cs
