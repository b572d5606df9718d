#pragma once
// Every route the server answers, in one Router: health, WHIP/WHEP, the original's workflow
// routes, BYOC, and the browser UI's files.
#include <string>

#include "http/Authorizer.h"
#include "http/Router.h"

namespace cs {

class StreamRegistry;
class IceServerProvider;
class ByocService;

// With `byoc`, the BYOC worker's job and session routes are served too.
http::Router makeApiRouter(StreamRegistry& registry, IceServerProvider& iceServers,
                           const http::Authorizer& auth, const std::string& webDir,
                           ByocService* byoc);

}  // namespace cs
