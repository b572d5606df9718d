#pragma once
// A model runtime behind one interface: a float32 NCHW tensor in, the model's first output out.
// Backends are chosen by file extension in ModelStore; each lives in its own translation unit so
// that optional heavy dependencies (libtorch) cost nothing when they are not compiled in.
#include <opencv2/core.hpp>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

namespace cs {

// A model that cannot be found, loaded or run. The message is meant for the client as is.
class ModelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct BackendOptions {
  // Intra-op threads for inference. Process-wide in both libtorch and OpenCV, so the first model
  // loaded sets it. 2 was the measured sweet spot on the 2-core reference machine
  // (docs/INFERENCE-NOTES.md §I4); on bigger machines several streams share the cores anyway.
  int threads = 2;
};

class ModelBackend {
 public:
  virtual ~ModelBackend() = default;
  // Runs the model on one float32 tensor (an N-dimensional cv::Mat, NCHW for images) and returns
  // its first output as a float32 N-dimensional cv::Mat that the caller owns. Throws ModelError.
  // Safe to call from several threads (backends that need it serialise internally).
  virtual cv::Mat forward(const cv::Mat& input) = 0;
  // "OpenCV DNN", "TorchScript (libtorch)": for logs and error messages.
  virtual const char* name() const = 0;
};

// ONNX through OpenCV DNN (CPU). Always available.
std::unique_ptr<ModelBackend> openOnnxModel(const std::filesystem::path& file,
                                            const BackendOptions& options);

// TorchScript (.pt/.ts saved by torch.jit.save / trace) through libtorch. Throws ModelError when
// the build has no libtorch (COMFYSTREAM_WITH_TORCH=OFF).
std::unique_ptr<ModelBackend> openTorchScriptModel(const std::filesystem::path& file,
                                                   const BackendOptions& options);
bool torchScriptCompiledIn();

}  // namespace cs
