#pragma once
// Model files in a ComfyUI workspace: `{workspace}/models/<category folder>/<name>`, resolved with
// ComfyUI's folder semantics (folder_paths.py) and loaded once per file.
//
// Name resolution (docs/INFERENCE-NOTES.md §I7):
//  * names are relative and may contain sub-folders ('/' or '\'); absolute names and '..'
//    components are refused (ComfyUI maps them back inside; refusing is clearer);
//  * each folder of the category is searched in ComfyUI's order;
//  * a name whose format this build cannot run (x.engine: TensorRT; x.pth/x.safetensors: PyTorch
//    checkpoints that need Python model code; x.pt without libtorch) resolves to a same-named
//    sibling it can run: x.pt, x.ts (TorchScript, when built with libtorch), then x.onnx. A name
//    without a model extension tries those extensions too;
//  * a name that resolves nowhere throws ModelError listing every path tried.
//
// Threading: resolve() and load() run on the control plane (node configure); Model::forward runs
// on stream workers and may be called from several at once.
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "workflow/Value.h"
#include "workflow/backends/ModelBackend.h"

namespace cs {

// A loaded model, shared by every node and workflow that names the same file.
class Model final : public ModelHandle {
 public:
  Model(std::filesystem::path file, std::unique_ptr<ModelBackend> backend)
      : file_(std::move(file)), backend_(std::move(backend)) {}

  const std::filesystem::path& file() const { return file_; }
  const char* backendName() const { return backend_->name(); }
  // See ModelBackend::forward: float32 tensor in, first output out. Throws ModelError.
  cv::Mat forward(const cv::Mat& input) const { return backend_->forward(input); }

 private:
  std::filesystem::path file_;
  std::unique_ptr<ModelBackend> backend_;
};

class ModelStore {
 public:
  explicit ModelStore(std::filesystem::path workspace, BackendOptions options = {});

  // Folders (relative to models/) searched for a category, in order: ComfyUI's categories
  // ("upscale_models", "checkpoints", "controlnet" = controlnet + t2i_adapter, …) plus the custom
  // nodes' ("tensorrt", "tensorrt/depth-anything") and "onnx", "torchscript". Throws
  // std::invalid_argument for an unknown category (a programming error, not a user one).
  static const std::vector<std::string>& folders(const std::string& category);

  // Extensions this build can load, in sibling-preference order (".pt", ".ts", ".onnx").
  static std::vector<std::string> loadableExtensions();

  // The file `name` resolves to. Throws ModelError (escape, not found with every path tried).
  std::filesystem::path resolve(const std::string& category, const std::string& name) const;

  // Resolves and loads, or returns the already loaded model for that file (same path and
  // modification time) while any workflow still holds it. Throws ModelError.
  std::shared_ptr<Model> load(const std::string& category, const std::string& name);

  // Names (relative to their folder, '/'-separated) of the files in a category this build can
  // load, sorted: what a client may put in a model-name input.
  std::vector<std::string> list(const std::string& category) const;

  const std::filesystem::path& workspace() const { return workspace_; }

  // Files larger than this are refused before they are opened (--max-model-size).
  void setMaxModelBytes(uint64_t bytes) { maxModelBytes_ = bytes; }

 private:
  struct Cached {
    std::weak_ptr<Model> model;
    std::filesystem::file_time_type mtime;
  };
  std::filesystem::path workspace_;
  BackendOptions options_;
  uint64_t maxModelBytes_ = 2048ull << 20;
  std::mutex mu_;
  std::map<std::string, Cached> cache_;  // by canonical path
};

}  // namespace cs
