// ONNX models through OpenCV DNN, CPU target (Debian's OpenCV 4.6 has no other usable backend).
// Conv nets (Conv, Resize, Concat, Sigmoid, InstanceNorm, …) import and match PyTorch to 1e-5;
// ViT/DPT exports do not import in 4.6 (docs/INFERENCE-NOTES.md §I6), hence TorchScript for those.
#include <opencv2/core/utility.hpp>
#include <opencv2/dnn.hpp>

#include <mutex>

#include "workflow/backends/ModelBackend.h"

namespace cs {
namespace {

class OnnxBackend final : public ModelBackend {
 public:
  OnnxBackend(const std::filesystem::path& file, const BackendOptions& options) {
    static std::once_flag threadsSet;
    std::call_once(threadsSet, [&] {
      if (options.threads > 0) cv::setNumThreads(options.threads);
    });
    try {
      net_ = cv::dnn::readNetFromONNX(file.string());
    } catch (const cv::Exception& e) {
      std::string msg = "cannot load ONNX model " + file.string() + " with OpenCV " + CV_VERSION +
                        ": " + e.what();
      // torch.onnx.export (1.13) leaves Identity(initializer) nodes that OpenCV 4.6 rejects.
      if (msg.find("Identity") != std::string::npos)
        msg +=
            " (hint: the export has Identity nodes on initializers, which OpenCV 4.6 cannot "
            "import; replace them with copies of the initializer: "
            "scripts/make_test_models.py --fix-onnx IN OUT)";
      throw ModelError(msg);
    }
    if (net_.empty()) throw ModelError("ONNX model " + file.string() + " has no layers");
    net_.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net_.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  }

  cv::Mat forward(const cv::Mat& input) override {
    // A Net keeps per-call state (inputs, layer blobs): one caller at a time.
    std::lock_guard lock(mu_);
    try {
      net_.setInput(input);
      // forward() returns a view of the net's output blob, reused by the next call.
      return net_.forward().clone();
    } catch (const cv::Exception& e) {
      throw ModelError(std::string("OpenCV DNN forward failed: ") + e.what());
    }
  }

  const char* name() const override { return "OpenCV DNN"; }

 private:
  std::mutex mu_;
  cv::dnn::Net net_;
};

}  // namespace

std::unique_ptr<ModelBackend> openOnnxModel(const std::filesystem::path& file,
                                            const BackendOptions& options) {
  return std::make_unique<OnnxBackend>(file, options);
}

}  // namespace cs
