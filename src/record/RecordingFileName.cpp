#include "record/RecordingFileName.h"

#include <ctime>

namespace cs {
namespace {

bool portable(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

}  // namespace

std::string fileNamePart(std::string_view text, size_t maxBytes) {
  std::string out;
  for (char c : text) {
    if (out.size() >= maxBytes) break;
    if (portable(c))
      out.push_back(c);
    else if (out.empty() || out.back() != '_')
      out.push_back('_');
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '-')) out[0] = '_';
  return out.empty() ? "stream" : out;
}

std::string utcTimestamp(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  const size_t n = std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return std::string(buf, n);
}

std::string recordingFileName(std::string_view streamId,
                              std::chrono::system_clock::time_point start, std::string_view shortId,
                              std::string_view extension) {
  std::string name = fileNamePart(streamId);
  name += '-';
  name += utcTimestamp(start);
  name += '-';
  name += fileNamePart(shortId, 16);
  name += '.';
  name += extension;
  return name;
}

}  // namespace cs
