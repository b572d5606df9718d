#pragma once
// Entity-tags for WHIP/WHEP sessions (RFC 9725 §4.3.1, WHEP §4.5.1): each ICE session of a
// session resource has a strong entity-tag, and a PATCH names the one it was written against in
// If-Match (RFC 9110 §13.1.1), so a trickle meant for an earlier ICE session cannot be applied to
// a later one.
#include <optional>
#include <string>
#include <string_view>

namespace cs {

// A fresh strong entity-tag (RFC 9110 §8.8.3): 128 bits from the OpenSSL CSPRNG, quoted.
std::string newStrongEtag();

enum class IfMatchResult { Matches, Missing, Fails };

// RFC 9110 §13.1.1: If-Match = "*" / #entity-tag, compared strongly (a weak W/"…" tag never
// matches). `header` is nullopt when the request has no If-Match. The WHIP/WHEP drafts write the
// wildcard quoted ("*") where RFC 9110 has it bare; both are taken (checklist row 31).
IfMatchResult evaluateIfMatch(const std::optional<std::string>& header, std::string_view current);

// What a PATCH without If-Match gets: RFC 9725 §4.3.1 answers 428 (Strict); Lenient lets it
// through for clients that never send one (--ice-if-match lenient). A wrong If-Match is 412 in
// both.
enum class IfMatchPolicy { Strict, Lenient };

}  // namespace cs
