#pragma once
// The request bodies of the three BYOC capabilities (../shared/seeds/byoc-implementation.md),
// parsed and validated. Each parser throws ControlError(BadRequest) naming the offending field.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "util/JsonLimits.h"
#include "workflow/TextPrompt.h"

namespace cs {

// {"input": {"prompts", "width", "height", "media_data"?}, "workspace"?}
struct VideoJobRequest {
  nlohmann::json prompts;         // the workflow(s) to run; the default passthrough when none given
  std::vector<TextPrompt> texts;  // the text prompts among "prompts" (already bound into them)
  int width = 512;
  int height = 512;
  // A clip to process (base64, any container decodebin reads): the job then runs the workflow
  // over every frame of it (docs/CLIPS.md) instead of waiting for a WHIP publisher.
  std::string mediaData;
};

// {"sdp_offer", "prompts"?, "width"?, "height"?}
struct WhipJobRequest {
  std::string sdpOffer;
  nlohmann::json prompts;
  std::vector<TextPrompt> texts;
  int width = 512;
  int height = 512;
};

// {"sdp_offer", "session_id"? | "stream_id"?}: which processed stream to view; neither means
// the stream "default" (as POST /whep without streamId).
struct WhepJobRequest {
  std::string sdpOffer;
  std::string sessionId;
  std::string streamId;
};

// The body as a JSON object. Throws ControlError(BadRequest) for anything else.
// `maxBytes`: past the usual 1 MiB only for a body whose size the caller bounded (a job with a
// clip in media_data, streamed to a file under the clip cap).
nlohmann::json parseJsonObject(const std::string& body, size_t maxBytes = kMaxJsonBytes);

VideoJobRequest parseVideoJob(const nlohmann::json& body);
WhipJobRequest parseWhipJob(const nlohmann::json& body);
WhepJobRequest parseWhepJob(const nlohmann::json& body);

// prompts: absent, null, [], {} or a list of empty objects (the seed's placeholder) mean "no
// workflow" → the default passthrough workflow; an object (one workflow) or a list of objects is
// returned as is (the workflow engine validates the graphs). Text prompts ({text, weight}) among
// them are taken out into *texts and written into the workflows' text inputs; text alone means
// the default workflow. Anything else is a BadRequest.
nlohmann::json normalizePrompts(const nlohmann::json& body, const char* where,
                                std::vector<TextPrompt>* texts = nullptr);

}  // namespace cs
