#pragma once
#include <httplib.h>

#include "util/ControlError.h"
#include "workflow/WorkflowError.h"

namespace cs {

// The one table from error kind to HTTP status (and the headers that status requires).
int statusFor(ErrorKind kind);
// Writes {"error": message, "status_code": N} with the status and its headers.
void writeError(httplib::Response& res, ErrorKind kind, const std::string& message);
void writeError(httplib::Response& res, int status, const std::string& message);
// A rejected workflow: 400 with ComfyUI's {"error": {type, message, …}, "node_errors": {…}}.
void writeError(httplib::Response& res, const WorkflowError& e);

// Runs a control-plane handler body, answering ControlError and WorkflowError as JSON errors.
template <typename Fn>
void answerErrors(httplib::Response& res, Fn&& fn) {
  try {
    fn();
  } catch (const ControlError& e) {
    writeError(res, e.kind(), e.what());
  } catch (const WorkflowError& e) {
    writeError(res, e);
  }
}

// The request body as JSON; throws ControlError(BadRequest) naming the parse error.
nlohmann::json parseJsonBody(const std::string& body);

}  // namespace cs
