#pragma once
#include <string>

namespace cs {

// A 128-bit identifier from the OpenSSL CSPRNG, as 32 lowercase hex characters. Resource URLs built
// from it are unguessable (RFC 9725 §5), so a stale DELETE cannot hit another session.
std::string newRandomId();

// The name a session goes by in listings (stats): the first 16 hex characters of
// SHA-256("comfystream-public:" + id). Its holder can compute it; nobody can go back from it to
// the session URL, which stays the session's only key.
std::string publicIdOf(const std::string& id);

}  // namespace cs
