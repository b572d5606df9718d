#pragma once
// What POST /prompt and POST /workflows/validate both take: a stream (?streamId=, default
// "default"), a token that may change what that stream shows (its publish token, or the admin
// token when streams have no tokens), and a body of {"prompts": …} as the data channel sends, or
// the workflow(s) themselves as the original's POST /prompt.
#include <string>

#include <nlohmann/json.hpp>

#include "http/Authorizer.h"
#include "http/Request.h"

namespace cs::http {

struct PromptRequest {
  std::string streamId;
  nlohmann::json prompts;  // as sent: one workflow, or a list of them
};

// Checks the token, then parses the body (bounded, parseJsonBody). Throws ControlError
// (Unauthorized, InvalidToken, BadRequest) for the error answer.
PromptRequest readPromptRequest(const Request& req, const Authorizer& auth);

}  // namespace cs::http
