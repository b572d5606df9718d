#pragma once
// The browser UI: GET/HEAD of files under one directory, never outside it.
#include <string>

#include "http/Request.h"
#include "http/Response.h"

namespace cs::http {

class StaticFiles {
 public:
  explicit StaticFiles(std::string root);  // empty or missing: serves nothing
  bool serve(const Request& req, Response& res) const;
  bool enabled() const { return !root_.empty(); }

 private:
  std::string root_;  // canonical, without a trailing slash
};

}  // namespace cs::http
