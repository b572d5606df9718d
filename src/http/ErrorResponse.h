#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "http/Response.h"
#include "util/ControlError.h"
#include "workflow/WorkflowError.h"

namespace cs {

// The one table from error kind to HTTP status (and the headers that status requires).
int statusFor(ErrorKind kind);
// Writes {"error": message, "status_code": N} with the status and its headers.
void writeError(http::Response& res, ErrorKind kind, const std::string& message);
void writeError(http::Response& res, int status, const std::string& message);
// The same, with the error's own Retry-After when it carries one.
void writeError(http::Response& res, const ControlError& e);
// How a rejected workflow is written (always 400). ComfyUI: the original's {"error": {type,
// message, …}, "node_errors": {…}} (POST /prompt, WHIP). Message: "error" is a string as in every
// other error, "invalid workflow: <message>", with ComfyUI's "node_errors" when there are any —
// for APIs whose clients read "error" as text.
enum class WorkflowErrorShape { ComfyUI, Message };
void writeError(http::Response& res, const WorkflowError& e,
                WorkflowErrorShape shape = WorkflowErrorShape::ComfyUI);

// Runs a control-plane handler body, answering ControlError and WorkflowError as JSON errors.
template <typename Fn>
void answerErrors(http::Response& res, Fn&& fn,
                  WorkflowErrorShape shape = WorkflowErrorShape::ComfyUI) {
  try {
    fn();
  } catch (const ControlError& e) {
    writeError(res, e);
  } catch (const WorkflowError& e) {
    writeError(res, e, shape);
  }
}

// JSON for an answer. Never throws on client-provided strings: invalid UTF-8 that slipped
// through becomes U+FFFD instead of a 500 for everyone who reads the document.
std::string dumpJson(const nlohmann::json& j);

// The request body as JSON; throws ControlError(BadRequest) naming the parse error.
nlohmann::json parseJsonBody(const std::string& body);

// "application/sdp; charset=utf-8" → "application/sdp" (lower case, no parameters).
std::string mediaTypeOf(const std::string& contentType);

}  // namespace cs
