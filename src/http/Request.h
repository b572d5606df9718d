#pragma once
// One HTTP request as the routes see it: already size- and time-bounded by HttpServer, its path
// and query decoded and checked as UTF-8.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace cs::http {

// Header names compare case-insensitively (RFC 9110 §5.1).
struct CaseInsensitiveLess {
  bool operator()(std::string_view a, std::string_view b) const;
  using is_transparent = void;
};

// A request body the server streamed to a file (an upload route: Router::upload). The file is
// removed when the last copy of the request goes, unless a handler moved it elsewhere first.
struct BodyFile {
  std::filesystem::path path;
  uint64_t size = 0;
  explicit BodyFile(std::filesystem::path p) : path(std::move(p)) {}
  ~BodyFile() {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  }
  BodyFile(const BodyFile&) = delete;
  BodyFile& operator=(const BodyFile&) = delete;
};

struct Request {
  std::string method;                              // upper case, as sent
  std::string target;                              // as sent: path and query
  std::string path;                                // percent-decoded, without the query
  std::multimap<std::string, std::string> params;  // query, percent-decoded
  std::multimap<std::string, std::string, CaseInsensitiveLess> headers;
  std::string body;
  // Upload routes only, for a body larger than the server's usual cap or chunked: the body is
  // there and `body` is empty. A small body with a Content-Length stays in `body`.
  std::shared_ptr<BodyFile> bodyFile;
  std::vector<std::string> matches;  // the route's regex groups; [0] is the whole path
  std::string remoteAddress;         // the peer's IP address, without the port
  bool secure = false;               // arrived over TLS

  std::string header(std::string_view name) const;  // "" when absent
  bool hasHeader(std::string_view name) const;
  std::string param(std::string_view name) const;  // "" when absent; the first when repeated
  bool hasParam(std::string_view name) const;
};

}  // namespace cs::http
