// A Range header value comes straight from a client asking for a recording's file
// (GET /streams/{S}/recordings/{id}/file): whatever it holds, a partial answer must lie inside
// the file and be non-empty, and an unsatisfiable one must really be unsatisfiable.
#include <cstring>

#include "FuzzSupport.h"
#include "http/ByteRange.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  cs::fuzz::init();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The first 8 bytes (when there are 8) are the file's size, the rest the header value.
  uint64_t fileSize = 1000;
  if (size >= 8) {
    std::memcpy(&fileSize, data, 8);
    data += 8;
    size -= 8;
  }
  const std::string_view value = cs::fuzz::text(data, size);
  for (const uint64_t n : {fileSize, uint64_t{0}, uint64_t{1}, fileSize >> 32}) {
    const auto r = cs::http::parseByteRange(value, n);
    using Kind = cs::http::ByteRange::Kind;
    if (r.kind == Kind::Partial) {
      if (r.length == 0) cs::fuzz::fail("an empty partial range");
      if (r.first >= n || r.length > n - r.first) cs::fuzz::fail("a range past the end");
    } else if (r.kind == Kind::Unsatisfiable) {
      if (value.find(',') != std::string_view::npos)
        cs::fuzz::fail("several ranges must be ignored, not refused");
    }
  }
  return 0;
}
