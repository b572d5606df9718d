#pragma once
// Shared set-up of the fuzz targets: GStreamer initialised once (SDP and caps need its types),
// logging off so libFuzzer's own output stays readable.
#include <gst/gst.h>
#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cs::fuzz {

inline void init() {
  gst_init(nullptr, nullptr);
  spdlog::set_level(spdlog::level::off);
}

inline std::string_view text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// An abort libFuzzer reports as a crash, with the reason in the log.
[[noreturn]] inline void fail(const char* what) {
  fprintf(stderr, "fuzz invariant violated: %s\n", what);
  __builtin_trap();
}

}  // namespace cs::fuzz
