#include "trickle/TrickleProtocol.h"

#include <charconv>

namespace cs::trickle {

std::string_view toString(ChannelEnd e) {
  switch (e) {
    case ChannelEnd::Closed:
      return "closed";
    case ChannelEnd::NotFound:
      return "not found";
    case ChannelEnd::Failed:
      return "failed";
    case ChannelEnd::Stopped:
      return "stopped";
  }
  return "unknown";
}

std::optional<int64_t> parseSeq(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t' || value.back() == '\r'))
    value.remove_suffix(1);
  const bool negative = !value.empty() && value.front() == '-';
  const size_t digits = value.size() - (negative ? 1 : 0);
  if (digits == 0 || digits > 18) return std::nullopt;
  int64_t out = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (ec != std::errc{} || end != value.data() + value.size()) return std::nullopt;
  return out;
}

std::string segmentUrl(const std::string& channelUrl, int64_t seq) {
  std::string out = channelUrl;
  while (!out.empty() && out.back() == '/') out.pop_back();
  return out + "/" + std::to_string(seq);
}

}  // namespace cs::trickle
