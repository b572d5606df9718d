#pragma once
// The WHIP (RFC 9725) and WHEP endpoints and their session resources.
#include <httplib.h>

#include "rtc/IceServerProvider.h"
#include "stream/StreamRegistry.h"

namespace cs {

void registerWhipWhepRoutes(httplib::Server& server, StreamRegistry& registry,
                            IceServerProvider& iceServers);

// "application/sdp; charset=utf-8" → "application/sdp" (lower case, no parameters).
std::string mediaType(const std::string& contentType);

}  // namespace cs
