#pragma once
// The routes every server has whatever it serves: health, and the browser UI's files. main()
// registers the route modules (WHIP/WHEP, the original's workflow routes, BYOC, recordings)
// beside them.
#include <functional>
#include <string>

#include "http/Router.h"

namespace cs {

// GET /health (and /live/health): 200 {"status": state()} — pytrickle's LOADING, IDLE, OK or
// ERROR, which the live worker reports (a liveness answer: always 200 while the server serves;
// the original's own /health answered 200 too). `state` must be cheap: the route is answered on
// the I/O thread, so it answers even when every worker is busy.
void addHealthRoute(http::Router& router, std::function<std::string()> state);
// Files under webDir answer GET/HEAD that no route took (the UI at /).
void addStaticFiles(http::Router& router, const std::string& webDir);

}  // namespace cs
