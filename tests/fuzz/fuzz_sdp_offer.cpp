// SDP offers as WHIP/WHEP bodies and the /offer and BYOC `sdp_offer` fields carry them: parsed
// for each role, then the copy webrtcbin would get and the answer munging.
#include "FuzzSupport.h"
#include "rtc/SdpOffer.h"
#include "util/ControlError.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  cs::fuzz::init();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view sdp = cs::fuzz::text(data, size);
  std::map<int, std::string> profiles;
  for (auto role : {cs::OfferRole::Publisher, cs::OfferRole::Viewer, cs::OfferRole::Duplex}) {
    try {
      const cs::SdpOffer offer = cs::SdpOffer::parse(sdp, role);
      if (!offer.video() && !offer.audio()) cs::fuzz::fail("an accepted offer with no media");
      cs::SdpMessagePtr copy = offer.messageForWebrtc();
      if (!copy) cs::fuzz::fail("no message for webrtcbin");
      profiles.merge(offer.profileLevelIds());
    } catch (const cs::ControlError&) {
    }
  }
  // fixAnswer reads webrtcbin's answer, not the network's, but it is a line parser all the same.
  cs::AnswerFixups fixups{profiles, "203.0.113.7"};
  if (fixups.profileLevelIds.empty()) fixups.profileLevelIds = {{96, "42e01f"}, {102, "640c1f"}};
  (void)cs::fixAnswer(sdp, fixups);
  return 0;
}
