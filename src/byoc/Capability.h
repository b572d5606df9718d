#pragma once
// The three BYOC capabilities this worker offers (../shared/seeds/byoc-implementation.md).
#include <array>
#include <optional>
#include <string_view>

namespace cs {

enum class Capability { Video, WhipIngest, WhepSubscribe };

inline constexpr std::array<Capability, 3> kAllCapabilities = {
    Capability::Video, Capability::WhipIngest, Capability::WhepSubscribe};

// The registered name, also the job path: comfystream-video, whip-ingest, whep-subscribe.
constexpr std::string_view capabilityName(Capability c) {
  switch (c) {
    case Capability::Video:
      return "comfystream-video";
    case Capability::WhipIngest:
      return "whip-ingest";
    case Capability::WhepSubscribe:
      return "whep-subscribe";
  }
  return "";
}

constexpr std::string_view capabilityDescription(Capability c) {
  switch (c) {
    case Capability::Video:
      return "ComfyStream real-time video: a session running a ComfyUI workflow on every frame, "
             "with its own WHIP and WHEP endpoints";
    case Capability::WhipIngest:
      return "ComfyStream WHIP ingest: SDP offer in, SDP answer out, frames processed by the "
             "request's workflow";
    case Capability::WhepSubscribe:
      return "ComfyStream WHEP subscribe: SDP offer in, SDP answer out for a session's processed "
             "stream";
  }
  return "";
}

inline std::optional<Capability> parseCapability(std::string_view name) {
  for (Capability c : kAllCapabilities)
    if (capabilityName(c) == name) return c;
  return std::nullopt;
}

}  // namespace cs
