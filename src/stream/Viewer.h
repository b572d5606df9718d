#pragma once
#include <memory>
#include <string>

#include "stream/ControlChannel.h"
#include "rtc/EgressPeer.h"

namespace cs {

// A WHEP session: one of a stream's viewers.
struct Viewer {
  std::string id;
  std::string streamId;
  double createdAt = 0;  // seconds since the Unix epoch
  std::string clientAddress;  // the HTTP peer that created it (--max-pending-per-ip)
  // The original's data channels; declared before the peer so the peer is destroyed first.
  std::shared_ptr<ControlChannel> control;
  // The other half of an original-style /offer connection (publisher and viewer at once).
  std::string pairedId;
  std::unique_ptr<EgressPeer> peer;
};

}  // namespace cs
