// The bodies of the three BYOC capabilities (/process/request/{capability}), which arrive with
// no token by default.
#include "FuzzSupport.h"
#include "byoc/JobRequest.h"
#include "util/ControlError.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  cs::fuzz::init();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nlohmann::json body;
  try {
    body = cs::parseJsonObject(std::string(cs::fuzz::text(data, size)));
  } catch (const cs::ControlError&) {
    return 0;
  }
  if (!body.is_object()) cs::fuzz::fail("parseJsonObject returned a non-object");
  try {
    const auto video = cs::parseVideoJob(body);
    if (video.width <= 0 || video.height <= 0) cs::fuzz::fail("video job with a non-positive size");
  } catch (const cs::ControlError&) {
  }
  try {
    const auto whip = cs::parseWhipJob(body);
    if (whip.width <= 0 || whip.height <= 0) cs::fuzz::fail("whip job with a non-positive size");
  } catch (const cs::ControlError&) {
  }
  try {
    (void)cs::parseWhepJob(body);
  } catch (const cs::ControlError&) {
  }
  return 0;
}
