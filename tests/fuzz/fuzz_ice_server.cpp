// --ice-server values (and what Twilio answers) become `Link` headers on every WHIP/WHEP answer:
// whatever parses must make a header value that cannot end or split the header.
#include <stdexcept>

#include "FuzzSupport.h"
#include "rtc/IceServer.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  cs::fuzz::init();
  return 0;
}

namespace {

// RFC 9110 §5.5 field-value: visible characters, space and tab, obs-text; never CR, LF or NUL.
bool validFieldValue(std::string_view v) {
  for (unsigned char c : v)
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cs::IceServer server;
  try {
    server = cs::IceServer::parse(cs::fuzz::text(data, size));
  } catch (const std::invalid_argument&) {
    return 0;
  }
  const std::string link = server.linkHeaderValue();
  if (!validFieldValue(link)) cs::fuzz::fail("Link header value with a control character");
  if (!link.starts_with("<" + server.url + ">"))
    cs::fuzz::fail("Link value does not start with <url>");
  return 0;
}
