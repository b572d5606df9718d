// A trickle server's response head, line by line as libcurl hands it over (trickle/CurlHandles.h
// ResponseHead), and the seq headers read from it (parseSeq): they come from whatever the channel
// URLs point at. Invariants: a head is complete only with a final status; a value parseSeq takes
// is an optional '-' and at most 18 digits between blanks (anything else is refused, so a stored
// value with odd bytes never becomes a seq; values are logged through logSafe only).
#include <curl/curl.h>

#include "FuzzSupport.h"
#include "trickle/CurlHandles.h"
#include "trickle/TrickleProtocol.h"

namespace {
CURL* easy = nullptr;  // for CURLINFO_RESPONSE_CODE at the blank line (0: no response yet)
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  cs::fuzz::init();
  curl_global_init(CURL_GLOBAL_DEFAULT);
  easy = curl_easy_init();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = cs::fuzz::text(data, size);
  cs::trickle::detail::ResponseHead head;
  while (!in.empty()) {
    const size_t nl = in.find('\n');
    const std::string_view line = in.substr(0, nl == std::string_view::npos ? in.size() : nl + 1);
    in.remove_prefix(line.size());
    head.line(line, easy);
  }
  // No response was received on `easy`: its code is 0, so no head can be complete.
  if (head.done) cs::fuzz::fail("a head completed without a final status");
  for (const std::string* v : {&head.seq, &head.latest}) {
    if (!cs::trickle::parseSeq(*v)) continue;
    const size_t first = v->find_first_not_of(" \t\r");
    const size_t last = v->find_last_not_of(" \t\r");
    const std::string_view core = std::string_view(*v).substr(first, last - first + 1);
    const std::string_view digits = core.substr(core.front() == '-' ? 1 : 0);
    if (digits.empty() || digits.size() > 18 ||
        digits.find_first_not_of("0123456789") != std::string_view::npos)
      cs::fuzz::fail("parseSeq took something that is not an 18-digit integer");
  }
  return 0;
}
