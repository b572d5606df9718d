#pragma once
// The trickle protocol's names and rules, as go-livepeer's trickle server speaks them
// (docs/LIVEPEER.md; ../shared/reference/livepeer-byoc-protocol.md §5). A channel is a URL
// `{base}/{channel}`; its segments are `{base}/{channel}/{seq}`, numbered from 0 without gaps.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cs::trickle {

// Response headers.
inline constexpr std::string_view kSeqHeader = "Lp-Trickle-Seq";        // the seq served/written
inline constexpr std::string_view kLatestHeader = "Lp-Trickle-Latest";  // the server's next write
inline constexpr std::string_view kClosedHeader = "Lp-Trickle-Closed";  // "terminated": closed
// The seq fell out of the server's 5-segment window, or is too far ahead: jump to Latest.
inline constexpr int kStatusSeqGone = 470;
// Subscribe: the next segment to be written (go's subscriber starts here; blocks until data).
inline constexpr int64_t kNextSeq = -1;
// Subscribe: the segment being written now (pytrickle starts here: the live edge, at once).
inline constexpr int64_t kCurrentSeq = -2;

// How a channel's client ended.
enum class ChannelEnd {
  Closed,    // the server said the channel is closed (Lp-Trickle-Closed), or we closed it
  NotFound,  // 404: no such channel (never created, deleted, or swept)
  Failed,    // retries used up (connection refused, timeouts, 5xx)
  Stopped,   // stop() was called
};
std::string_view toString(ChannelEnd e);

// What every channel client of a stream shares.
struct ChannelOptions {
  bool insecure = false;  // accept the orchestrator's self-signed certificate
  std::chrono::milliseconds connectTimeout{5000};
  // Attempts on one seq before the channel is given up (connection errors, 5xx, timeouts).
  int maxRetries = 5;
  std::chrono::milliseconds retryDelay{500};  // doubled each attempt, at most 5 s
};

// A header's value as a seq: a decimal integer, optionally negative, at most 18 digits; nullopt
// for anything else (the value comes from the network).
std::optional<int64_t> parseSeq(std::string_view value);

// "{channel}/{seq}".
std::string segmentUrl(const std::string& channelUrl, int64_t seq);

}  // namespace cs::trickle
