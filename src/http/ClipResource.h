#pragma once
// Workflows run over uploaded video files (docs/CLIPS.md):
//   POST   /clips?workflow=NAME   the file as the body (video/*, application/octet-stream), or
//                                 JSON {"media_data": base64, "workflow"?: NAME, "prompts"?: …};
//                                 202 {id, status: queued|processing, …}, Location /clips/{id};
//                                 503 + Retry-After when every slot and the queue are taken
//   GET    /clips/{id}            status and progress (frames done of total, fps), the result's
//                                 URL once completed, the reason once failed
//   GET    /clips/{id}/result     the processed MP4 (H.264, and AAC when the clip had audio)
//   DELETE /clips/{id}            cancels it and removes its files
// The upload is streamed to disk up to --max-clip-bytes (413 before reading past it). With
// stream tokens on, a token that may publish any stream (or the admin token); otherwise the
// admin token when one is set: a clip costs the server CPU and disk.
#include <nlohmann/json.hpp>

#include "clip/ClipJobs.h"
#include "http/Authorizer.h"
#include "http/Router.h"
#include "workflow/WorkflowService.h"

namespace cs {

void addClipRoutes(http::Router& router, ClipJobs& clips, WorkflowService& workflows,
                   const http::Authorizer& auth);

// The JSON of one clip job; `resultUrl` is where its result is fetched once completed.
nlohmann::json clipJson(const ClipInfo& info, const std::string& resultUrl);

// A compiled-on-demand workflow for a clip: compiled at the clip's size on its job thread.
ClipJob::MakeWorkflow clipWorkflow(WorkflowService& workflows, WorkflowSource source);

}  // namespace cs
