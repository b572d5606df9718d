#pragma once
// Client-provided text on its way into a log line: control characters (CR/LF would forge log
// lines) and invalid UTF-8 become escapes, and the length is capped.
#include <string>
#include <string_view>

namespace cs {

std::string escapeForLog(std::string_view s, size_t maxBytes = 256);

}  // namespace cs
