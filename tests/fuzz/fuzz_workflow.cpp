// A workflow as POST /prompt (and the data channel's update_prompts) hand it to the engine: JSON,
// one graph or a list, the original's conversions, then validation and compilation through the
// real node registry. Compile only: running frames is the nodes' own tests' business, and a
// literal size would make every run allocate what it asks for.
#include "FuzzSupport.h"
#include "http/ErrorResponse.h"
#include "util/ControlError.h"
#include "workflow/GraphWorkflow.h"
#include "workflow/WorkflowError.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  cs::fuzz::init();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const nlohmann::json body = cs::parseJsonBody(std::string(cs::fuzz::text(data, size)));
    const auto& prompts = body.is_object() && body.contains("prompts") ? body["prompts"] : body;
    cs::NodeContext ctx;  // no model store: model nodes must refuse, not crash
    ctx.width = ctx.height = 64;
    auto workflow = cs::GraphWorkflow::build("fuzz", prompts, ctx);
    (void)workflow->prompts().dump();
  } catch (const cs::ControlError&) {
  } catch (const cs::WorkflowError& e) {
    (void)e.toJson().dump();
  }
  return 0;
}
