// The `Livepeer` header of a BYOC job: base64, then JSON holding JSON in strings. The input is
// tried both as the raw header value and, base64-encoded, as the JSON inside it, so the fuzzer
// reaches the JSON checks without having to discover base64.
#include "FuzzSupport.h"
#include "byoc/LivepeerHeader.h"
#include "util/ControlError.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  cs::fuzz::init();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in = cs::fuzz::text(data, size);
  if (const auto decoded = cs::decodeBase64Std(in)) {
    if (cs::encodeBase64Std(*decoded) != in) cs::fuzz::fail("base64 does not round-trip");
  }
  const std::string encoded = cs::encodeBase64Std(in);
  const auto back = cs::decodeBase64Std(encoded);
  if (!back || *back != in) cs::fuzz::fail("encoded base64 does not decode to its input");
  for (const std::string_view value : {in, std::string_view(encoded)}) {
    try {
      const cs::LivepeerJob job = cs::parseLivepeerHeader(value);
      if (!job.request.is_object() || !job.parameters.is_object())
        cs::fuzz::fail("request/parameters accepted as a non-object");
    } catch (const cs::ControlError&) {
    }
  }
  return 0;
}
