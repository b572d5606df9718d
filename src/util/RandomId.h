#pragma once
#include <string>

namespace cs {

// A 128-bit identifier from the OpenSSL CSPRNG, as 32 lowercase hex characters. Resource URLs built
// from it are unguessable (RFC 9725 §5), so a stale DELETE cannot hit another session.
std::string newRandomId();

}  // namespace cs
