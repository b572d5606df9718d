#pragma once
// The event types of WHEP's server-sent-events extension that this server sends, how a player
// asks for them, and how the 201 advertises them (the WHEP core extensions draft, "Server Sent
// Events extension"; the draft lists active, inactive, layers, reconnect, viewercount, scte35).
#include <string>
#include <string_view>

namespace cs {

enum WhepEvent : unsigned {
  kWhepEventActive = 1u << 0,       // the stream's processed output flows
  kWhepEventInactive = 1u << 1,     // it stopped (never sent before an active)
  kWhepEventViewerCount = 1u << 2,  // {"viewercount": N}
};
inline constexpr unsigned kWhepEventsAll =
    kWhepEventActive | kWhepEventInactive | kWhepEventViewerCount;

// The rel of the Link that advertises the extension.
inline constexpr std::string_view kWhepEventsRel =
    "urn:ietf:params:whep:ext:core:server-sent-events";
// The largest request body and the most entries it may list (duplicates count).
inline constexpr size_t kMaxWhepEventsBody = 1024;
inline constexpr size_t kMaxWhepEventsListed = 16;

const char* whepEventName(WhepEvent e);

// The event types a POST to the extension's URL asks for. The body is a JSON array of type
// names; the draft makes it optional, so an empty body asks for every advertised type.
// Throws ControlError: PayloadTooLarge past kMaxWhepEventsBody; UnsupportedMedia for a body
// that is not application/json; BadRequest for anything but an array of at most
// kMaxWhepEventsListed strings, or for a type this server does not advertise (the draft: 400,
// and no event stream is created).
unsigned parseWhepEventTypes(std::string_view contentType, const std::string& body);

// The Link header value a WHEP 201 carries: the extension's URL for session `sessionId`, its
// rel, and events="active,inactive,viewercount".
std::string whepEventsLink(const std::string& sessionId);

}  // namespace cs
