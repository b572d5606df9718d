#pragma once
// The Range request header for bytes (RFC 9110 §14.1.2, §14.2), as a file download needs it: one
// range is served (206), an unsatisfiable one is refused (416), and anything else (no header,
// another unit, several ranges, a malformed value) is ignored, so the whole content is sent
// (200), as §14.2 allows. Network input: never throws, allocates nothing.
#include <cstdint>
#include <string_view>

namespace cs::http {

struct ByteRange {
  enum class Kind { Whole, Partial, Unsatisfiable };
  Kind kind = Kind::Whole;
  // Partial only: the first byte and the number of bytes (≥ 1), within the content.
  uint64_t first = 0;
  uint64_t length = 0;
};

// `value`: the Range header's value; `size`: the content's length in bytes.
ByteRange parseByteRange(std::string_view value, uint64_t size);

}  // namespace cs::http
