#pragma once
// What one workflow may ask for: image sizes, batch, model files. Checked when a workflow is
// validated (a ComfyUI-shaped node error naming the node and input, 400) and again on the media
// path before a node allocates an output buffer (the frame is dropped, counted and logged).
// Defaults and flags: docs/security/LIMITS.md.
#include <cstdint>
#include <string>

namespace cs {

struct WorkflowLimits {
  // Longest side of any image or mask a node makes (--max-image-size). ComfyUI allows 16384; a
  // real-time server has no use for more than 4K.
  int maxImageSide = 4096;
  // Pixels of one image or mask (--max-image-pixels): 4096 × 2160 (DCI 4K), 26 MB as 8-bit RGB.
  int64_t maxImagePixels = 4096LL * 2160;
  // Images per batch (--max-batch). The engine runs one frame at a time, so nodes that take a
  // batch size accept 1; the bound keeps what validation looks at small.
  int maxBatch = 16;
  // Size of one model file (--max-model-size, MiB): refused before it is opened.
  uint64_t maxModelBytes = 2048ull << 20;

  bool allowsImage(int64_t width, int64_t height) const {
    return width >= 0 && height >= 0 && width <= maxImageSide && height <= maxImageSide &&
           width * height <= maxImagePixels;
  }
  // "W×H is over the image limit (side S, P pixels; --max-image-size / --max-image-pixels)"
  std::string describeImage(int64_t width, int64_t height) const {
    return std::to_string(width) + "x" + std::to_string(height) + " is over the image limit (" +
           std::to_string(maxImageSide) + " pixels a side, " + std::to_string(maxImagePixels) +
           " pixels in all; --max-image-size, --max-image-pixels)";
  }
};

}  // namespace cs
