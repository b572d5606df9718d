#pragma once
#include <string>
#include <vector>

namespace cs {

// Process-wide GStreamer set-up. Returns the missing elements (empty when all are there).
std::vector<std::string> initGstreamer(int* argc, char*** argv);

}  // namespace cs
