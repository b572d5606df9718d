#pragma once
#include <memory>
#include <string>

#include "stream/ControlChannel.h"
#include "rtc/IngestPeer.h"

namespace cs {

// A WHIP session: the one publisher of a stream.
struct Publisher {
  std::string id;
  std::string streamId;
  std::string workflow;
  double createdAt = 0;  // seconds since the Unix epoch
  std::string clientAddress;  // the HTTP peer that created it (--max-pending-per-ip)
  // The original's data channels; declared before the peer so the peer is destroyed first.
  std::shared_ptr<ControlChannel> control;
  // The other half of an original-style /offer connection (publisher and viewer at once).
  std::string pairedId;
  std::unique_ptr<IngestPeer> peer;
};

}  // namespace cs
