// A clip sent as JSON to POST /clips (`http/ClipUpload`): from anyone the route admits, up to the
// clip cap. Invariants: what parses has media (never empty), and a workflow name whenever it
// carries a workflow inline; a refusal is a ControlError, never another exception.
#include "FuzzSupport.h"
#include "http/ClipUpload.h"
#include "util/ControlError.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  cs::fuzz::init();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const cs::http::ClipUpload u = cs::http::parseClipUpload(cs::fuzz::text(data, size));
    if (u.media.empty()) cs::fuzz::fail("an upload without media");
    if (!u.prompts.is_null() && u.workflow.empty()) cs::fuzz::fail("inline prompts without a name");
  } catch (const cs::ControlError&) {
  }
  return 0;
}
