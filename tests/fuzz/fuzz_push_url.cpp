// A push URL comes from an API client, and every Location or redirect a remote WHIP server
// answers is resolved against it (rtc/HttpUrl): whatever parses must be a URL the server can
// request safely (http(s), a host without userinfo, no control characters or spaces that could
// split a request line), and parsing what it prints must give it back.
#include "FuzzSupport.h"
#include "util/HttpUrl.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  cs::fuzz::init();
  return 0;
}

namespace {

void check(const cs::HttpUrl& u) {
  const std::string s = u.str();
  for (unsigned char c : s)
    if (c <= 0x20 || c >= 0x7f) cs::fuzz::fail("a URL with a space, control or non-ASCII byte");
  if (u.host.empty() || u.host.find('@') != std::string::npos) cs::fuzz::fail("bad host");
  if (u.target.empty() || u.target.front() != '/') cs::fuzz::fail("target not origin-form");
  if (s.size() > cs::HttpUrl::kMaxBytes + 16) cs::fuzz::fail("URL longer than the bound");
  const auto again = cs::HttpUrl::parse(s);
  if (!again || again->str() != s || again->port != u.port || again->https != u.https)
    cs::fuzz::fail("str() does not parse back to the same URL");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in = cs::fuzz::text(data, size);
  // The first line is a URL, the rest a reference (a Location) resolved against it.
  const auto nl = in.find('\n');
  const auto base = cs::HttpUrl::parse(in.substr(0, nl));
  if (!base) return 0;
  check(*base);
  if (nl == std::string_view::npos) return 0;
  if (const auto r = cs::resolveReference(*base, in.substr(nl + 1))) check(*r);
  return 0;
}
