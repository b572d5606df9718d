#include "util/LogEscape.h"

#include <algorithm>
#include <cstdio>

#include "util/Utf8.h"

namespace cs {
namespace {

bool isBidiControl(char32_t cp) {
  return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029;
}

}  // namespace

std::string logSafe(std::string_view s, size_t maxBytes) {
  std::string out;
  out.reserve(std::min(s.size(), maxBytes) + 8);
  char buf[16];
  size_t i = 0;
  while (i < s.size()) {
    const size_t before = out.size();
    char32_t cp = 0;
    int n = decodeUtf8(s, i, cp);
    if (n == 0) {
      std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned char>(s[i]));
      out += buf;
      n = 1;
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp == '\\') {
      out += "\\\\";
    } else if (cp < 0x20 || cp == 0x7F) {
      std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned>(cp));
      out += buf;
    } else if ((cp >= 0x80 && cp <= 0x9F) || isBidiControl(cp)) {
      std::snprintf(buf, sizeof buf, "\\u{%04X}", static_cast<unsigned>(cp));
      out += buf;
    } else {
      out.append(s.substr(i, static_cast<size_t>(n)));
    }
    if (out.size() > maxBytes) {
      out.resize(before);
      out += "…(+" + std::to_string(s.size() - i) + " bytes)";
      return out;
    }
    i += static_cast<size_t>(n);
  }
  return out;
}

}  // namespace cs
