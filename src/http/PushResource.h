#pragma once
// Pushes of a stream to other WHIP servers (docs/API.md, "Pushes"; docs/SECURITY.md, "Pushes"):
//   POST   /streams/{streamId}/pushes        {"url": WHIP endpoint, "token"?: bearer} → 201,
//                                            Location, the push's status
//   GET    /streams/{streamId}/pushes        list them (running and recently ended)
//   GET    /streams/{streamId}/pushes/{id}   one push's status
//   DELETE /streams/{streamId}/pushes/{id}   stop it; 200 with the final status once the remote
//                                            session is DELETEd
// The same access rule as recordings: with stream tokens on, the stream's publish token (or the
// admin token); otherwise the admin token when one is set. And only to hosts --push-allow names.
#include <nlohmann/json.hpp>

#include "http/Authorizer.h"
#include "http/Router.h"
#include "rtc/PushService.h"

namespace cs {

void addPushRoutes(http::Router& router, PushService& pushes, const http::Authorizer& auth);

// The JSON of one push's status (never its token).
nlohmann::json pushJson(const PushStatus& s);

}  // namespace cs
