#include "http/BaseRoutes.h"

#include <spdlog/spdlog.h>

#include <memory>

#include "http/StaticFiles.h"

namespace cs {

void addHealthRoute(http::Router& router, std::function<std::string()> state) {
  router.get(
      "(?:/live)?/health",
      [state = std::move(state)](const http::Request&, http::Response& res) {
        res.setContent("{\"status\":\"" + state() + "\"}", "application/json");
      },
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
