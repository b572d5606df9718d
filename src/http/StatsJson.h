#pragma once
// The stats answers' JSON: the stream core reports plain values, this is the only place they
// become JSON (the original's field names, which clients read).
#include <nlohmann/json.hpp>

#include "stream/SessionStats.h"
#include "stream/Stream.h"

namespace cs {

// /streams/stats and /stream/{id}/stats: the original's entry plus drops, failures and per-node
// timings.
nlohmann::json streamStatsJson(const StreamStats& s);
// One /whip-stats entry; `stream` (its stream's figures) may be null.
nlohmann::json publisherStatsJson(const PublisherStats& p, const StreamStats* stream);
// One /whep-stats entry.
nlohmann::json viewerStatsJson(const ViewerStats& v);

}  // namespace cs
