// A WHIP/WHEP PATCH body (application/trickle-ice-sdpfrag, RFC 8840) and its If-Match value:
// parsed, bounded; what is accepted formats back into a fragment that parses again.
#include "FuzzSupport.h"
#include "rtc/IceFragment.h"
#include "util/ControlError.h"
#include "util/EntityTag.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  cs::fuzz::init();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = cs::fuzz::text(data, size);
  (void)cs::evaluateIfMatch(std::string(text), "\"0123456789abcdef0123456789abcdef\"");
  try {
    const cs::IceFragment f = cs::IceFragment::parse(text);
    if (text.size() > cs::kMaxIceFragmentBytes) cs::fuzz::fail("an oversized fragment accepted");
    if (f.media.size() > cs::kMaxIceFragmentMedia) cs::fuzz::fail("too many m-lines accepted");
    std::vector<std::string> candidates;
    for (const auto& m : f.media)
      for (const auto& c : m.candidates) {
        if (!c.starts_with("candidate:")) cs::fuzz::fail("a candidate without its prefix");
        candidates.push_back(c);
      }
    // What a restart answers with, from what was accepted, must parse back with every candidate.
    const std::string ufrag = f.effectiveUfrag().value_or("abcd");
    const std::string pwd = f.effectivePwd().value_or("abcdefghijklmnopqrstuv");
    if (candidates.size() < 64 && !ufrag.empty()) {
      const std::string back =
          cs::formatIceFragment(ufrag, pwd, {}, f.iceLite, "video", "0", candidates);
      if (back.size() <= cs::kMaxIceFragmentBytes) {
        const cs::IceFragment again = cs::IceFragment::parse(back);
        if (again.effectiveUfrag() != ufrag || again.media.at(0).candidates != candidates)
          cs::fuzz::fail("a formatted fragment does not parse back");
      }
    }
  } catch (const cs::ControlError& e) {
    if (e.kind() != cs::ErrorKind::BadRequest) cs::fuzz::fail("a fragment refused with no 400");
  }
  return 0;
}
