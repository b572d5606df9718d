#pragma once
// The routes every server has whatever it serves: health, and the browser UI's files. main()
// registers the route modules (WHIP/WHEP, the original's workflow routes, BYOC, recordings)
// beside them.
#include <string>

#include "http/Router.h"

namespace cs {

void addHealthRoute(http::Router& router);
// Files under webDir answer GET/HEAD that no route took (the UI at /).
void addStaticFiles(http::Router& router, const std::string& webDir);

}  // namespace cs
