#pragma once
// HTTP routes of the Livepeer live-video worker (docs/LIVEPEER.md), pytrickle's paths, bodies and
// status codes:
//   POST /stream/start (alias POST /live-video-to-video), POST /stream/params,
//   POST /stream/stop (any body, JSON or not, with or without Content-Type), GET /stream/status,
//   GET /version.
// GET /health answers pytrickle's {"status": LOADING|IDLE|OK|ERROR} (BaseRoutes).
// The job endpoints' token rule applies: with --worker-token, "Authorization: Bearer <token>".
// Errors are {"status": "error", "message": …} as pytrickle writes them, with "error" and
// "status_code" as every other route of this server.
#include <string>

#include "byoc/LiveWorker.h"
#include "http/Router.h"

namespace cs {

void addLiveWorkerRoutes(http::Router& router, LiveWorker& worker, std::string version);

}  // namespace cs
