#include "util/Utf8.h"

namespace cs {

int decodeUtf8(std::string_view s, size_t i, char32_t& cp) noexcept {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c0 = b(i);
  if (c0 < 0x80) {
    cp = c0;
    return 1;
  }
  int len = 0;
  char32_t min = 0;
  if (c0 >= 0xC2 && c0 <= 0xDF) {
    len = 2;
    cp = c0 & 0x1F;
    min = 0x80;
  } else if (c0 >= 0xE0 && c0 <= 0xEF) {
    len = 3;
    cp = c0 & 0x0F;
    min = 0x800;
  } else if (c0 >= 0xF0 && c0 <= 0xF4) {
    len = 4;
    cp = c0 & 0x07;
    min = 0x10000;
  } else {
    return 0;  // continuation byte, C0/C1 (overlong 2-byte) or F5..FF
  }
  if (i + static_cast<size_t>(len) > s.size()) return 0;
  for (int k = 1; k < len; ++k) {
    const unsigned char c = b(i + static_cast<size_t>(k));
    if ((c & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

bool isValidUtf8(std::string_view s) noexcept {
  for (size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    char32_t cp = 0;
    const int n = decodeUtf8(s, i, cp);
    if (n == 0) return false;
    i += static_cast<size_t>(n);
  }
  return true;
}

bool isSafeIdentifier(std::string_view s, size_t maxBytes) noexcept {
  if (s.empty() || s.size() > maxBytes) return false;
  for (size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    const int n = decodeUtf8(s, i, cp);
    if (n == 0) return false;
    if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) return false;
    i += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace cs
