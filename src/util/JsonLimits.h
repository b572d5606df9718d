#pragma once
// The one bounded JSON parser for everything the network sends: HTTP bodies (parseJsonBody), BYOC
// job bodies, data-channel control messages, the Livepeer header, Twilio's answer.
//
// nlohmann::json copies, compares and dumps recursively: a value nested tens of thousands of
// levels deep overflows the stack (SIGSEGV) long after parsing succeeded. The depth limit is
// enforced by the parser's callback, which sees the depth before a container is built, so a
// deep document is refused before it exists. See docs/security/LIMITS.md.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace cs {

// Nesting depth: 64 levels of objects/arrays. A ComfyUI workflow needs 4 (list → workflow → node
// → inputs → link array); the deepest real widget values (lists of lists) add a few more.
inline constexpr size_t kMaxJsonDepth = 64;
// Size of one document. HTTP bodies are capped lower by the HTTP layer (128 KiB); this bounds
// data-channel messages and other paths without a cap of their own.
inline constexpr size_t kMaxJsonBytes = 1 << 20;

// Parses text as JSON. Throws ControlError(BadRequest) with a readable, valid-UTF-8 message when
// the text is not JSON (invalid UTF-8 in a string included), is nested deeper than maxDepth, or is
// longer than maxBytes.
nlohmann::json parseJsonBounded(std::string_view text, size_t maxDepth = kMaxJsonDepth,
                                size_t maxBytes = kMaxJsonBytes);

// Depth of an already-built value (a scalar is 0, [] is 1), computed without recursion; stops
// counting at limit + 1. For values that did not come through parseJsonBounded.
size_t jsonDepth(const nlohmann::json& j, size_t limit = kMaxJsonDepth);

// dump() that never throws: invalid UTF-8 in strings becomes U+FFFD.
std::string safeDump(const nlohmann::json& j, int indent = -1);

}  // namespace cs
