#pragma once
// The WHIP (RFC 9725) and WHEP endpoints and their session resources.
#include "http/Authorizer.h"
#include "http/Router.h"
#include "rtc/IceServerProvider.h"
#include "rtc/WebRtcGateway.h"
#include "util/EntityTag.h"

namespace cs {
class RecordingService;
}

namespace cs {

// Listings (/whip-stats, /whep-stats) key sessions by their public id (util/RandomId.h): a
// listing must never hand out the keys to other people's sessions.
// With `recordings`, a WHIP POST with ?record=1 (or every one under --record) starts a recording
// of its stream with the publisher. `ifMatch`: what a PATCH without If-Match gets (428, or let
// through with --ice-if-match lenient).
void addWhipWhepRoutes(http::Router& router, WebRtcGateway& gateway, IceServerProvider& iceServers,
                       const http::Authorizer& auth, RecordingService* recordings = nullptr,
                       IfMatchPolicy ifMatch = IfMatchPolicy::Strict);

}  // namespace cs
