#include "workflow/ModelStore.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <stdexcept>
#include <system_error>

#include "util/LogEscape.h"

namespace cs {
namespace fs = std::filesystem;
namespace {

using Opener = std::unique_ptr<ModelBackend> (*)(const fs::path&, const BackendOptions&);

bool always() {
  return true;
}

// Every model extension a ComfyStream workflow may name, with what runs it. Loadable ones come
// first, in sibling-preference order: TorchScript was 1.25-1.7x faster than OpenCV DNN on the
// same conv nets and the only one to run ViT depth models (docs/INFERENCE-NOTES.md §I1).
struct Format {
  const char* ext;
  const char* what;
  Opener open;          // null: no backend in any build of this project yet
  bool (*available)();  // compiled into this build
};
const Format kFormats[] = {
    {".pt", "TorchScript", openTorchScriptModel, torchScriptCompiledIn},
    {".ts", "TorchScript", openTorchScriptModel, torchScriptCompiledIn},
    {".onnx", "ONNX", openOnnxModel, always},
    {".engine", "a TensorRT engine (needs TensorRT and a GPU)", nullptr, nullptr},
    {".plan", "a TensorRT engine (needs TensorRT and a GPU)", nullptr, nullptr},
    {".pth", "a PyTorch checkpoint (needs the Python model code)", nullptr, nullptr},
    {".safetensors", "a weights file (needs the Python model code)", nullptr, nullptr},
    {".ckpt", "a PyTorch checkpoint (needs the Python model code)", nullptr, nullptr},
    {".bin", "a weights file (needs the Python model code)", nullptr, nullptr},
};

const Format* formatOf(const std::string& ext) {
  std::string lower = ext;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto& f : kFormats)
    if (lower == f.ext) return &f;
  return nullptr;
}

bool loadable(const Format* f) {
  return f && f->open && f->available && f->available();
}

std::string loadableList() {
  std::string s;
  for (const auto& f : kFormats)
    if (loadable(&f)) s += std::string(s.empty() ? "" : ", ") + f.ext;
  return s;
}

// ComfyUI folder_paths.py (folder_names_and_paths), plus the folders of the custom nodes
// ComfyStream workflows use and the two generic ones of this server.
const std::map<std::string, std::vector<std::string>>& categories() {
  static const std::map<std::string, std::vector<std::string>> m = {
      {"checkpoints", {"checkpoints"}},
      {"configs", {"configs"}},
      {"loras", {"loras"}},
      {"vae", {"vae"}},
      {"text_encoders", {"text_encoders", "clip"}},
      {"clip", {"text_encoders", "clip"}},
      {"diffusion_models", {"unet", "diffusion_models"}},
      {"unet", {"unet", "diffusion_models"}},
      {"clip_vision", {"clip_vision"}},
      {"style_models", {"style_models"}},
      {"embeddings", {"embeddings"}},
      {"diffusers", {"diffusers"}},
      {"vae_approx", {"vae_approx"}},
      {"controlnet", {"controlnet", "t2i_adapter"}},
      {"gligen", {"gligen"}},
      {"upscale_models", {"upscale_models"}},
      {"hypernetworks", {"hypernetworks"}},
      {"photomaker", {"photomaker"}},
      {"classifiers", {"classifiers"}},
      // ComfyUI-TensorRT's TensorRTLoader and ComfyUI-Depth-Anything-Tensorrt's ENGINE_DIR.
      {"tensorrt", {"tensorrt"}},
      {"tensorrt/depth-anything", {"tensorrt/depth-anything"}},
      {"onnx", {"onnx"}},
      {"torchscript", {"torchscript"}},
  };
  return m;
}

// The name as a relative path, or a ModelError saying why not. '\' separates too (workflows
// saved on Windows); "." and empty components are dropped.
fs::path checkedName(const std::string& name, const std::string& category) {
  const std::string where = "models/" + category;
  if (name.empty()) throw ModelError("no model name given (a file under " + where + ")");
  if (name.find('\0') != std::string::npos) throw ModelError("model name contains a NUL character");
  if (name.front() == '/' || name.front() == '\\' || (name.size() > 1 && name[1] == ':'))
    throw ModelError("model name '" + name + "' is an absolute path; name a file under " + where);
  fs::path rel;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find_first_of("/\\", start);
    if (end == std::string::npos) end = name.size();
    const std::string part = name.substr(start, end - start);
    if (part == "..") throw ModelError("model name '" + name + "' escapes " + where);
    if (!part.empty() && part != ".") rel /= part;
    start = end + 1;
  }
  if (rel.empty()) throw ModelError("model name '" + name + "' names no file under " + where);
  return rel;
}

bool isFile(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);  // follows symlinks, as ComfyUI does
}

}  // namespace

ModelStore::ModelStore(fs::path workspace, BackendOptions options)
    : workspace_(std::move(workspace)), options_(options) {}

const std::vector<std::string>& ModelStore::folders(const std::string& category) {
  const auto& m = categories();
  auto it = m.find(category);
  if (it == m.end()) throw std::invalid_argument("unknown model category '" + category + "'");
  return it->second;
}

std::vector<std::string> ModelStore::loadableExtensions() {
  std::vector<std::string> out;
  for (const auto& f : kFormats)
    if (loadable(&f)) out.push_back(f.ext);
  return out;
}

fs::path ModelStore::resolve(const std::string& category, const std::string& name) const {
  const auto& dirs = folders(category);
  if (workspace_.empty())
    throw ModelError("model '" + name +
                     "' cannot be loaded: the server has no workspace (start it with --workspace "
                     "DIR; models live in DIR/models/" +
                     category + ")");
  const fs::path rel = checkedName(name, category);

  // Candidates: the name itself when this build runs its format, else same-named siblings.
  const std::string ext = rel.extension().string();
  const Format* format = formatOf(ext);
  std::vector<fs::path> names;
  std::string note;
  if (loadable(format)) {
    names.push_back(rel);
  } else {
    const fs::path stem = format ? fs::path(rel).replace_extension() : rel;
    if (format) {
      names.push_back(rel);  // listed as tried; it cannot be loaded even if it is there
      // (Appends, not "'" + …: GCC 12 -O3 raises a false -Wrestrict on that form.)
      note.append("'").append(rel.filename().string()).append("' is ").append(format->what);
      note.append(", which this build cannot run, so same-named ").append(loadableList());
      note.append(" files were looked for instead");
    } else {
      note = "a name without a model extension tries " + loadableList();
    }
    for (const auto& f : kFormats)
      if (loadable(&f)) names.push_back(fs::path(stem) += f.ext);
  }

  std::vector<std::string> tried;
  for (const auto& dir : dirs) {
    const fs::path base = workspace_ / "models" / dir;
    for (const auto& n : names) {
      const fs::path p = base / n;
      const bool exists = isFile(p);
      if (exists && loadable(formatOf(p.extension().string()))) return p;
      tried.push_back(p.string() + (exists ? " (exists, cannot be run by this build)" : ""));
    }
  }

  std::string msg =
      "model '" + logSafe(name) + "' not found in models/" + category + "; looked in:";
  for (const auto& t : tried) msg += "\n    " + t;
  if (!note.empty()) msg += "\n(" + note + ")";
  const auto have = list(category);
  if (have.empty()) {
    msg += "\nno loadable models (" + loadableList() + ") in models/" + category;
  } else {
    msg += "\navailable:";
    for (const auto& h : have) msg += " " + h;
  }
  throw ModelError(msg);
}

std::shared_ptr<Model> ModelStore::load(const std::string& category, const std::string& name) {
  const fs::path file = resolve(category, name);
  std::error_code ec;
  fs::path canonical = fs::weakly_canonical(file, ec);
  if (ec) canonical = file;
  const auto mtime = fs::last_write_time(file, ec);
  const std::string key = canonical.string();

  // Held while loading: a second workflow naming the same file waits and shares the load.
  std::lock_guard lock(mu_);
  if (auto it = cache_.find(key); it != cache_.end() && it->second.mtime == mtime)
    if (auto m = it->second.model.lock()) return m;

  // A model is read whole into memory: bound it before opening (--max-model-size).
  if (const auto bytes = fs::file_size(file, ec); !ec && bytes > maxModelBytes_)
    throw ModelError("model file " + file.string() + " is " + std::to_string(bytes >> 20) +
                     " MiB, over this server's limit of " + std::to_string(maxModelBytes_ >> 20) +
                     " MiB (--max-model-size)");
  const Format* format = formatOf(file.extension().string());
  const auto t0 = std::chrono::steady_clock::now();
  auto model = std::make_shared<Model>(file, format->open(file, options_));
  spdlog::info(
      "model {} loaded with {} in {:.0f} ms", logSafe(file.string()), model->backendName(),
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  cache_[key] = {model, mtime};
  // Forget files no workflow holds any more.
  for (auto it = cache_.begin(); it != cache_.end();)
    it = it->second.model.expired() ? cache_.erase(it) : std::next(it);
  return model;
}

std::vector<std::string> ModelStore::list(const std::string& category) const {
  std::vector<std::string> out;
  if (workspace_.empty()) return out;
  for (const auto& dir : folders(category)) {
    const fs::path base = workspace_ / "models" / dir;
    std::error_code ec;
    if (!fs::is_directory(base, ec)) continue;
    for (fs::recursive_directory_iterator
             it(base, fs::directory_options::follow_directory_symlink, ec),
         end;
         !ec && it != end; it.increment(ec)) {
      if (!isFile(it->path()) || !loadable(formatOf(it->path().extension().string()))) continue;
      const std::string rel = fs::relative(it->path(), base, ec).generic_string();
      if (!ec && std::find(out.begin(), out.end(), rel) == out.end()) out.push_back(rel);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace cs
