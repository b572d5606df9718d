#include "http/WorkflowLibraryResource.h"

#include <spdlog/spdlog.h>

#include "http/ErrorResponse.h"
#include "http/PromptRequest.h"
#include "rtc/ControlChannel.h"
#include "util/LogEscape.h"

namespace cs {
namespace {

using http::Request;
using http::Response;

// The library is what every publisher picks from: as POST /prompt, a publish token (here: for
// any stream) when stream tokens are configured, else the admin token when there is one.
void requireLibraryAccess(const http::Authorizer& auth, const Request& req) {
  if (auth.streamsProtected())
    auth.requirePublisher(req);
  else
    auth.requireAdmin(req);
}

}  // namespace

void addWorkflowLibraryRoutes(http::Router& router, WorkflowService& workflows,
                              const http::Authorizer& auth) {
  router.get("(?:/live)?/workflows", [&workflows, &auth](const Request& req, Response& res) {
    answerErrors(res, [&] {
      requireLibraryAccess(auth, req);
      const auto listing = workflows.library().list();
      nlohmann::json list = nlohmann::json::array();
      for (const auto& e : listing.workflows)
        list.push_back({{"name", e.name}, {"source", e.source}});
      res.setContent(dumpJson({{"workflows", std::move(list)}, {"truncated", listing.truncated}}),
                     "application/json");
    });
  });
  // Names are file stems (WorkflowLibrary): never a '/'.
  router.get(
      "(?:/live)?/workflows/([^/]{1,256})", [&workflows, &auth](const Request& req, Response& res) {
        answerErrors(res, [&] {
          requireLibraryAccess(auth, req);
          const std::string& name = req.matches[1];
          // A name no file can have names nothing: 404, as an unknown one.
          auto found = isValidWorkflowName(name) ? workflows.library().find(name)
                                                 : std::optional<nlohmann::json>();
          if (!found)
            throw ControlError(ErrorKind::NotFound, "no workflow '" + logSafe(name, 64) + "'");
          res.setContent(dumpJson(*found), "application/json");
        });
      });
  // The body as POST /prompt takes it, compiled as POST /prompt compiles a staged workflow
  // (512×512, the node registry, the original's conversions, the limits) and then dropped: no
  // stream is touched, nothing is staged, nothing warms up. Same token rule as POST /prompt
  // (?streamId=, default "default").
  router.post("(?:/live)?/workflows/validate", [&workflows, &auth](const Request& req,
                                                                   Response& res) {
    answerErrors(res, [&] {
      const auto prompt = http::readPromptRequest(req, auth);
      const auto wf = workflows.compile(WorkflowSource::of("validate", prompt.prompts), 512, 512);
      res.setContent(dumpJson({{"valid", true},
                               {"prompts", wf->graphCount()},
                               {"nodes", describeNodes(wf->prompts())}}),
                     "application/json");
    });
    if (res.status >= 400)
      spdlog::debug("workflows: validate from {} refused ({}): {}", req.remoteAddress, res.status,
                    logSafe(res.body));
  });
}

}  // namespace cs
