#include "http/BaseRoutes.h"

#include <spdlog/spdlog.h>

#include <memory>

#include "http/StaticFiles.h"

namespace cs {

void addHealthRoute(http::Router& router) {
  // Inline: answered on the I/O thread, so it answers even when every worker is busy.
  router.get(
      "(?:/live)?/health",
      [](const http::Request&, http::Response& res) { res.setContent("OK", "text/plain"); },
      http::Dispatch::Inline);
}

void addStaticFiles(http::Router& router, const std::string& webDir) {
  auto files = std::make_shared<http::StaticFiles>(webDir);
  if (!webDir.empty() && !files->enabled())
    spdlog::warn("HTTP: browser UI directory '{}' not found; / will answer 404", webDir);
  router.setFallback(
      [files](const http::Request& req, http::Response& res) { return files->serve(req, res); });
}

}  // namespace cs
