#include "http/StaticFiles.h"

#include <filesystem>
#include <fstream>
#include <iterator>

namespace cs::http {
namespace {

constexpr std::uintmax_t kMaxFile = 8 * 1024 * 1024;

const char* contentTypeOf(const std::filesystem::path& p) {
  const std::string ext = p.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".txt" || ext == ".md") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

}  // namespace

StaticFiles::StaticFiles(std::string root) {
  std::error_code ec;
  if (root.empty()) return;
  const auto canonical = std::filesystem::canonical(root, ec);
  if (!ec && std::filesystem::is_directory(canonical, ec)) root_ = canonical.string();
}

bool StaticFiles::serve(const Request& req, Response& res) const {
  if (root_.empty()) return false;
  std::string rel = req.path;
  if (rel.ends_with('/')) rel += "index.html";
  // Resolve symlinks and "..", then insist the result is still under the root.
  std::error_code ec;
  const auto file = std::filesystem::weakly_canonical(root_ + "/" + rel, ec);
  if (ec) return false;
  const std::string f = file.string();
  if (f.size() <= root_.size() || f.compare(0, root_.size(), root_) != 0 || f[root_.size()] != '/')
    return false;
  if (!std::filesystem::is_regular_file(file, ec)) return false;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec || size > kMaxFile) return false;
  std::ifstream in(file, std::ios::binary);
  if (!in) return false;
  std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  res.status = 200;
  res.setContent(std::move(body), contentTypeOf(file));
  res.setHeader("Cache-Control", "no-cache");
  return true;
}

}  // namespace cs::http
