#pragma once
// Client-provided strings in log lines and error messages: `logSafe(id)` escapes what could forge
// or garble a log line (CR, LF and every other control character, invalid UTF-8, Unicode
// bidirectional overrides) and caps the length. The result is always valid UTF-8, so it is also
// safe inside a JSON error message (nlohmann's dump() throws on invalid UTF-8).
#include <string>
#include <string_view>

namespace cs {

inline constexpr size_t kLogSafeMaxBytes = 200;

// \n \r \t \\ as such; other control bytes and invalid UTF-8 bytes as \xNN; C1 controls and bidi
// controls as \u{NNNN}. Longer input is cut (at a character boundary) and ends "…(+N bytes)".
std::string logSafe(std::string_view s, size_t maxBytes = kLogSafeMaxBytes);

}  // namespace cs
