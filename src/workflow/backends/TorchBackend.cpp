// TorchScript models through libtorch (CPU). The only translation unit that includes libtorch:
// compiling it takes ~18 s and ~1 GB, so the rest of the project never sees torch headers
// (docs/INFERENCE-NOTES.md §I2). Built with HAVE_TORCH=1 only when COMFYSTREAM_WITH_TORCH=ON;
// otherwise it compiles to the "not compiled in" stubs at the bottom.
#include "workflow/backends/ModelBackend.h"

#if HAVE_TORCH
#include <ATen/Parallel.h>
#include <torch/script.h>

#include <cstring>
#include <mutex>
#include <vector>

namespace cs {
namespace {

at::Tensor firstTensor(const c10::IValue& v) {
  if (v.isTensor()) return v.toTensor();
  if (v.isTuple())
    for (const auto& e : v.toTupleRef().elements())
      if (e.isTensor()) return e.toTensor();
  if (v.isList())
    for (const c10::IValue& e : v.toListRef())
      if (e.isTensor()) return e.toTensor();
  if (v.isGenericDict())
    for (const auto& kv : v.toGenericDict())
      if (kv.value().isTensor()) return kv.value().toTensor();
  throw ModelError("TorchScript model returned " + v.tagKind() + ", not a tensor");
}

class TorchBackend final : public ModelBackend {
 public:
  TorchBackend(const std::filesystem::path& file, const BackendOptions& options) {
    static std::once_flag threadsSet;
    std::call_once(threadsSet, [&] {
      // libtorch's default here was 1 thread; 2 threads gave 1.5-1.9x
      // (docs/INFERENCE-NOTES.md §I4).
      // The count is stored globally and applied lazily on each thread that runs a model.
      if (options.threads > 0) at::set_num_threads(options.threads);
      try {
        at::set_num_interop_threads(1);  // throws once inter-op work has started
      } catch (const std::exception&) {
      }
    });
    try {
      module_ = torch::jit::load(file.string(), torch::kCPU);
      module_.eval();
    } catch (const std::exception& e) {
      // Not only c10::Error: a module saved after optimize_for_inference() throws
      // torch::jit::IRAttributeError (docs/INFERENCE-NOTES.md §I5).
      throw ModelError("cannot load TorchScript model " + file.string() + ": " + message(e));
    }
  }

  cv::Mat forward(const cv::Mat& input) override {
    if (input.type() != CV_32F || !input.isContinuous())
      throw ModelError("TorchScript input must be a continuous float32 tensor");
    try {
      c10::InferenceMode inference;
      std::vector<int64_t> sizes(input.size.p, input.size.p + input.dims);
      // from_blob does not copy; the model never writes to its input.
      at::Tensor in =
          torch::from_blob(const_cast<float*>(input.ptr<float>()), sizes, torch::kFloat32);
      // Module::forward is safe to call from several threads at once (no lock needed).
      at::Tensor out = firstTensor(module_.forward({in})).to(torch::kFloat32).contiguous();
      if (out.dim() == 0) throw ModelError("TorchScript model returned a scalar");
      std::vector<int> dims;
      if (out.dim() == 1) dims.push_back(1);  // cv::Mat has at least 2 dimensions
      for (int64_t d : out.sizes()) dims.push_back(static_cast<int>(d));
      cv::Mat result(static_cast<int>(dims.size()), dims.data(), CV_32F);
      std::memcpy(result.data, out.data_ptr<float>(), out.numel() * sizeof(float));
      return result;
    } catch (const ModelError&) {
      throw;
    } catch (const std::exception& e) {
      throw ModelError(std::string("TorchScript forward failed: ") + message(e));
    }
  }

  const char* name() const override { return "TorchScript (libtorch)"; }

 private:
  // c10::Error::what() appends a C++ stack trace; the message alone is what a client needs.
  static std::string message(const std::exception& e) {
    const auto* c10 = dynamic_cast<const c10::Error*>(&e);
    std::string s = c10 ? c10->what_without_backtrace() : e.what();
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }

  torch::jit::Module module_;
};

}  // namespace

std::unique_ptr<ModelBackend> openTorchScriptModel(const std::filesystem::path& file,
                                                   const BackendOptions& options) {
  return std::make_unique<TorchBackend>(file, options);
}

bool torchScriptCompiledIn() {
  return true;
}

}  // namespace cs

#else  // !HAVE_TORCH

namespace cs {

std::unique_ptr<ModelBackend> openTorchScriptModel(const std::filesystem::path& file,
                                                   const BackendOptions&) {
  throw ModelError("cannot load " + file.string() +
                   ": TorchScript needs a build with -DCOMFYSTREAM_WITH_TORCH=ON (libtorch)");
}

bool torchScriptCompiledIn() {
  return false;
}

}  // namespace cs

#endif
