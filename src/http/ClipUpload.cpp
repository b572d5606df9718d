#include "http/ClipUpload.h"

#include "byoc/LivepeerHeader.h"
#include "util/ControlError.h"
#include "util/JsonLimits.h"

namespace cs::http {

ClipUpload parseClipUpload(std::string_view text) {
  // The upload cap bounds its size (a clip in base64 is past parseJsonBody's 1 MiB).
  const nlohmann::json body = parseJsonBounded(text, kMaxJsonDepth, text.size());
  // operator[] on a const json is only defined for keys it holds: every read is after a look.
  if (!body.is_object() || !body.contains("media_data") || !body["media_data"].is_string())
    throw ControlError(ErrorKind::BadRequest, "expected {\"media_data\": base64, ...}");
  auto media = decodeBase64Std(body["media_data"].get_ref<const std::string&>());
  if (!media || media->empty())
    throw ControlError(ErrorKind::BadRequest, "media_data is not base64 (RFC 4648, padded)");
  ClipUpload out;
  out.media = std::move(*media);
  if (body.contains("workflow") && !body["workflow"].is_null()) {
    if (!body["workflow"].is_string())
      throw ControlError(ErrorKind::BadRequest, "workflow must be a name");
    out.workflow = body["workflow"].get<std::string>();
  }
  if (body.contains("prompts") && !body["prompts"].is_null()) {
    out.prompts = body["prompts"];
    if (out.workflow.empty()) out.workflow = "inline";
  }
  return out;
}

}  // namespace cs::http
