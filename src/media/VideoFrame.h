#pragma once
// What a workflow sees of a frame: an I420 picture in memory owned by someone else. Keeps
// GStreamer types out of the workflow engine.
#include <cstdint>

namespace cs {

struct I420View {
  int width = 0;
  int height = 0;
  uint8_t* planes[3] = {nullptr, nullptr, nullptr};  // Y, U, V
  int strides[3] = {0, 0, 0};

  int planeWidth(int p) const { return p == 0 ? width : (width + 1) / 2; }
  int planeHeight(int p) const { return p == 0 ? height : (height + 1) / 2; }
};

}  // namespace cs
