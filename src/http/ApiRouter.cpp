#include "http/ApiRouter.h"

#include <spdlog/spdlog.h>

#include <memory>

#include "http/ByocResource.h"
#include "http/StaticFiles.h"
#include "http/WhipWhepResource.h"
#include "http/WorkflowResource.h"

namespace cs {

http::Router makeApiRouter(StreamRegistry& registry, IceServerProvider& ice,
                           const http::Authorizer& auth, const std::string& webDir,
                           ByocService* byoc) {
  http::Router router;
  // Inline: answered on the I/O thread, so it answers even when every worker is busy.
  router.get(
      "(?:/live)?/health",
      [](const http::Request&, http::Response& res) { res.setContent("OK", "text/plain"); },
      http::Dispatch::Inline);
  addWhipWhepRoutes(router, registry, ice, auth);
  addWorkflowRoutes(router, registry, auth);
  if (byoc) addByocRoutes(router, *byoc, auth);
  auto files = std::make_shared<http::StaticFiles>(webDir);
  if (!webDir.empty() && !files->enabled())
    spdlog::warn("HTTP: browser UI directory '{}' not found; / will answer 404", webDir);
  router.setFallback(
      [files](const http::Request& req, http::Response& res) { return files->serve(req, res); });
  return router;
}

}  // namespace cs
