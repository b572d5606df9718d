#include "http/ByteRange.h"

#include <strings.h>

#include <limits>

namespace cs::http {
namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

bool isSpace(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
  return s;
}

// 1*DIGIT; a value past 2^64 - 1 saturates (it is past any file's end either way). False when
// `s` is empty or holds anything but digits.
bool parseDigits(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  out = 0;
  for (char c : s) {
    if (!isDigit(c)) return false;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    out = out > (kMax - d) / 10 ? kMax : out * 10 + d;
  }
  return true;
}

}  // namespace

ByteRange parseByteRange(std::string_view value, uint64_t size) {
  ByteRange whole;  // Kind::Whole
  value = trim(value);
  // ranges-specifier = range-unit "=" range-set; range units are case-insensitive (§14.1).
  constexpr std::string_view kUnit = "bytes=";
  if (value.size() < kUnit.size() || strncasecmp(value.data(), kUnit.data(), kUnit.size()) != 0)
    return whole;
  std::string_view spec = trim(value.substr(kUnit.size()));
  // Several ranges (or an empty list element): served whole rather than as multipart.
  if (spec.find(',') != std::string_view::npos) return whole;
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return whole;
  const std::string_view firstText = spec.substr(0, dash), lastText = spec.substr(dash + 1);
  ByteRange r;
  if (firstText.empty()) {
    // suffix-range = "-" suffix-length: the last n bytes (§14.1.1).
    uint64_t n = 0;
    if (!parseDigits(lastText, n)) return whole;
    if (n == 0) {
      r.kind = ByteRange::Kind::Unsatisfiable;
      return r;
    }
    if (size == 0) return whole;  // nothing to select: the (empty) content as it is
    r.kind = ByteRange::Kind::Partial;
    r.length = n < size ? n : size;
    r.first = size - r.length;
    return r;
  }
  // int-range = first-pos "-" [ last-pos ]
  uint64_t first = 0, last = kMax;
  if (!parseDigits(firstText, first)) return whole;
  if (!lastText.empty() && !parseDigits(lastText, last)) return whole;
  if (last < first) return whole;  // invalid (§14.1.1): ignored
  if (first >= size) {
    r.kind = ByteRange::Kind::Unsatisfiable;
    return r;
  }
  if (last >= size) last = size - 1;
  r.kind = ByteRange::Kind::Partial;
  r.first = first;
  r.length = last - first + 1;
  return r;
}

}  // namespace cs::http
