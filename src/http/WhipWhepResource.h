#pragma once
// The WHIP (RFC 9725) and WHEP endpoints and their session resources.
#include "http/Authorizer.h"
#include "http/Router.h"
#include "rtc/IceServerProvider.h"
#include "stream/StreamRegistry.h"

namespace cs {

void addWhipWhepRoutes(http::Router& router, StreamRegistry& registry,
                       IceServerProvider& iceServers, const http::Authorizer& auth);

// Stats keyed by session id, as the registry keeps them, re-keyed by each session's public id
// (util/RandomId.h): a listing must never hand out the keys to other people's sessions.
nlohmann::json withPublicIds(const nlohmann::json& statsById);

}  // namespace cs
