#pragma once
#include <string>

#include "rtc/EgressPeer.h"

namespace cs {

// A WHEP session: one of a stream's viewers.
struct Viewer {
  std::string id;
  std::string streamId;
  double createdAt = 0;  // seconds since the Unix epoch
  std::unique_ptr<EgressPeer> peer;
};

}  // namespace cs
