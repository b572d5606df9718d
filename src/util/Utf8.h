#pragma once
#include <string_view>

namespace cs {

// Well-formed UTF-8 (RFC 3629 §4): no overlong forms, no surrogates, nothing past U+10FFFF.
bool isValidUtf8(std::string_view s);

}  // namespace cs
