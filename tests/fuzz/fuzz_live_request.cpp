// The live worker's request bodies (POST /stream/start, POST /stream/params) and control-channel
// messages, which arrive from the orchestrator, or from anyone when no --worker-token is set.
// Invariants: what parses names a valid stream id and http(s) channel URLs, a size that is both
// dimensions within the bounds, a frame rate from 1 to 60.
#include "FuzzSupport.h"
#include "byoc/JobRequest.h"
#include "byoc/LiveRequest.h"
#include "util/ControlError.h"
#include "util/HttpUrl.h"
#include "util/JsonLimits.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  cs::fuzz::init();
  return 0;
}

namespace {

void checkParams(const cs::LiveParams& p) {
  if (p.size) {
    const auto [w, h] = *p.size;
    if (w < 16 || h < 16 || w > cs::LiveParams::kMaxDimension ||
        h > cs::LiveParams::kMaxDimension || w % 2 || h % 2)
      cs::fuzz::fail("a size out of bounds");
  }
  if (p.maxFramerate && (*p.maxFramerate < 1 || *p.maxFramerate > 60))
    cs::fuzz::fail("a frame rate out of bounds");
  if (p.prompts && !p.prompts->is_object() && !p.prompts->is_array())
    cs::fuzz::fail("prompts that are neither a workflow nor a list");
  if (!p.other.is_object()) cs::fuzz::fail("other params not an object");
}

void checkUrl(const std::string& url, bool required) {
  if (url.empty()) {
    if (required) cs::fuzz::fail("a required URL is empty");
    return;
  }
  if (!cs::HttpUrl::parse(url)) cs::fuzz::fail("a channel URL that does not parse");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nlohmann::json body;
  try {
    body = cs::parseJsonBounded(cs::fuzz::text(data, size));
  } catch (const cs::ControlError&) {
    return 0;
  }
  try {
    const auto start = cs::LiveStartRequest::parse(body);
    if (start.gatewayRequestId.empty()) cs::fuzz::fail("start without an id");
    checkUrl(start.subscribeUrl, true);
    checkUrl(start.publishUrl, false);
    checkUrl(start.controlUrl, false);
    checkUrl(start.eventsUrl, false);
    checkUrl(start.dataUrl, false);
    checkParams(start.params);
  } catch (const cs::ControlError&) {
  }
  try {
    checkParams(cs::LiveParams::parse(body));
  } catch (const cs::ControlError&) {
  }
  (void)cs::isKeepAlive(body);
  return 0;
}
