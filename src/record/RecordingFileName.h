#pragma once
// Recording file names: {stream}-{UTC start YYYYMMDDTHHMMSSZ}-{short id}.{extension}
#include <chrono>
#include <string>
#include <string_view>

namespace cs {

// A stream id (any UTF-8 without control characters, up to 256 bytes) as a safe file-name part:
// bytes outside [A-Za-z0-9._-] become '_' (one per run), no leading '.' or '-' (hidden files,
// command-line options), at most maxBytes; "stream" when nothing is left.
std::string fileNamePart(std::string_view text, size_t maxBytes = 64);

// "20240131T235959Z"
std::string utcTimestamp(std::chrono::system_clock::time_point t);

std::string recordingFileName(std::string_view streamId,
                              std::chrono::system_clock::time_point start, std::string_view shortId,
                              std::string_view extension);

}  // namespace cs
