#pragma once
// UTF-8 validity (RFC 3629): what every client-provided string must be before it reaches a JSON
// answer (nlohmann's dump() throws on invalid UTF-8) or a log line.
#include <string_view>

namespace cs {

// True when s is well-formed UTF-8: no stray continuation bytes, no truncated sequences, no
// overlong forms, no UTF-16 surrogates (U+D800-U+DFFF), nothing above U+10FFFF.
bool isValidUtf8(std::string_view s) noexcept;

// Decodes one code point at s[i]. Returns its length in bytes (1-4) and sets cp, or 0 when the
// bytes at i are not a well-formed sequence.
int decodeUtf8(std::string_view s, size_t i, char32_t& cp) noexcept;

// A client-provided identifier (stream id, name): valid UTF-8, 1..maxBytes bytes, and no control
// character (C0, DEL, C1), which would break log lines and headers.
bool isSafeIdentifier(std::string_view s, size_t maxBytes) noexcept;

}  // namespace cs
