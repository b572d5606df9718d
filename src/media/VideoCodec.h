#pragma once
#include <string_view>

namespace cs {

enum class VideoCodec { H264 = 0, VP8 = 1 };
inline constexpr int kVideoCodecCount = 2;

inline std::string_view toString(VideoCodec c) {
  return c == VideoCodec::H264 ? "H264" : "VP8";
}

}  // namespace cs
