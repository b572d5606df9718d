#include "util/LogEscape.h"

#include "util/Utf8.h"

namespace cs {

std::string escapeForLog(std::string_view s, size_t maxBytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  const bool utf8 = isValidUtf8(s);
  std::string out;
  out.reserve(std::min(s.size(), maxBytes) + 8);
  for (size_t i = 0; i < s.size(); ++i) {
    if (out.size() >= maxBytes) {
      out += "…";
      break;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8)) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace cs
