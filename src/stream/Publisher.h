#pragma once
#include <string>

#include "rtc/IngestPeer.h"

namespace cs {

// A WHIP session: the one publisher of a stream.
struct Publisher {
  std::string id;
  std::string streamId;
  std::string workflow;
  double createdAt = 0;  // seconds since the Unix epoch
  std::unique_ptr<IngestPeer> peer;
};

}  // namespace cs
