#pragma once
// WHEP's server-sent events (the WHEP core extensions draft, "Server Sent Events extension"). A
// WHEP 201 advertises them (whepEventsLink); then, per session:
//   POST   /whep/{session}/sse        body: a JSON array of event types → 201, Location: the
//                                     event stream (at most 4 per session)
//   GET    /whep/{session}/sse/{id}   200 text/event-stream: the current state, then every change,
//                                     until the stream is deleted or the session ends
//   DELETE /whep/{session}/sse/{id}   200; later requests for it get 404
// The events come from the session's stream (stream/StreamEvents.h): active, inactive,
// viewercount. See docs/API.md.
#include "http/Authorizer.h"
#include "http/Router.h"
#include "stream/StreamRegistry.h"

namespace cs {

inline constexpr size_t kMaxWhepEventStreamsPerSession = 4;

// `registry` and `auth` outlive the router.
void addWhepEventRoutes(http::Router& router, StreamRegistry& registry,
                        const http::Authorizer& auth);

}  // namespace cs
