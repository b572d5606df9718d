#pragma once
// The WHIP (RFC 9725) and WHEP endpoints and their session resources.
#include "http/Authorizer.h"
#include "http/Router.h"
#include "rtc/IceServerProvider.h"
#include "rtc/WebRtcGateway.h"

namespace cs {
class RecordingService;
}

namespace cs {

// Listings (/whip-stats, /whep-stats) key sessions by their public id (util/RandomId.h): a
// listing must never hand out the keys to other people's sessions.
// With `recordings`, a WHIP POST with ?record=1 (or every one under --record) starts a recording
// of its stream with the publisher.
void addWhipWhepRoutes(http::Router& router, WebRtcGateway& gateway, IceServerProvider& iceServers,
                       const http::Authorizer& auth, RecordingService* recordings = nullptr);

}  // namespace cs
