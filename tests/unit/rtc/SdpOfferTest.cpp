#include "rtc/SdpOffer.h"

#include <gtest/gtest.h>

#include "util/ControlError.h"

namespace cs {
namespace {

std::string session(const std::string& media) {
  return "v=0\r\n"
         "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
         "s=-\r\n"
         "t=0 0\r\n"
         "a=group:BUNDLE 0 1\r\n" +
         media;
}

std::string videoSection(const std::string& dir, const std::string& formats,
                         const std::string& attrs, const std::string& ufrag = "aaaa") {
  return "m=video 9 UDP/TLS/RTP/SAVPF " + formats +
         "\r\n"
         "c=IN IP4 0.0.0.0\r\n"
         "a=ice-ufrag:" +
         ufrag +
         "\r\n"
         "a=ice-pwd:aaaaaaaaaaaaaaaaaaaaaaaa\r\n"
         "a=fingerprint:sha-256 "
         "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:"
         "77:88:99\r\n"
         "a=setup:actpass\r\n"
         "a=mid:0\r\n"
         "a=rtcp-mux\r\n"
         "a=" +
         dir + "\r\n" + attrs;
}

std::string audioSection(const std::string& dir, const std::string& rtpmap,
                         const std::string& ufrag = "aaaa") {
  return "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
         "c=IN IP4 0.0.0.0\r\n"
         "a=ice-ufrag:" +
         ufrag +
         "\r\n"
         "a=ice-pwd:bbbbbbbbbbbbbbbbbbbbbbbb\r\n"
         "a=fingerprint:sha-256 "
         "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:"
         "77:88:99\r\n"
         "a=setup:actpass\r\n"
         "a=mid:1\r\n"
         "a=rtcp-mux\r\n"
         "a=" +
         dir + "\r\na=rtpmap:111 " + rtpmap + "\r\n";
}

const std::string kH264Pm0And1 =
    "a=rtpmap:96 H264/90000\r\n"
    "a=fmtp:96 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f\r\n"
    "a=rtpmap:98 H264/90000\r\n"
    "a=fmtp:98 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n";

ErrorKind kindOf(const std::string& sdp, OfferRole role) {
  try {
    SdpOffer::parse(sdp, role);
  } catch (const ControlError& e) {
    return e.kind();
  }
  ADD_FAILURE() << "offer was accepted";
  return ErrorKind::Internal;
}

TEST(SdpOffer, PublisherGetsH264PacketizationMode1) {
  const auto offer = SdpOffer::parse(session(videoSection("sendonly", "96 98", kH264Pm0And1) +
                                             audioSection("sendonly", "opus/48000/2")),
                                     OfferRole::Publisher);
  ASSERT_NE(offer.video(), nullptr);
  EXPECT_EQ(offer.video()->payloadType, 98);
  EXPECT_EQ(offer.video()->videoCodec, VideoCodec::H264);
  ASSERT_NE(offer.audio(), nullptr);
  EXPECT_EQ(offer.audio()->payloadType, 111);
  EXPECT_EQ(offer.profileLevelIds().at(98), "42e01f");
}

TEST(SdpOffer, TransportWideCcExtensionReachesTheCodecPreferences) {
  const auto offer = SdpOffer::parse(session(videoSection("sendonly", "96 98", kH264Pm0And1)),
                                     OfferRole::Publisher);
  const GstStructure* s = gst_caps_get_structure(offer.video()->caps.get(), 0);
  EXPECT_STREQ(gst_structure_get_string(s, "extmap-3"),
               "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01");
  gboolean twcc = FALSE;
  EXPECT_TRUE(gst_structure_get_boolean(s, "rtcp-fb-transport-cc", &twcc) && twcc);
}

TEST(SdpOffer, PublisherOrderIsItsPreference) {
  const auto offer = SdpOffer::parse(
      session(videoSection("sendonly", "100 98", "a=rtpmap:100 VP8/90000\r\n" + kH264Pm0And1)),
      OfferRole::Publisher);
  EXPECT_EQ(offer.video()->videoCodec, VideoCodec::VP8);
  EXPECT_EQ(offer.video()->payloadType, 100);
}

TEST(SdpOffer, ViewerPrefersConstrainedBaselineH264) {
  const std::string formats =
      "a=rtpmap:100 VP8/90000\r\n"
      "a=rtpmap:102 H264/90000\r\n"
      "a=fmtp:102 packetization-mode=1;profile-level-id=640c1f\r\n"
      "a=rtpmap:104 H264/90000\r\n"
      "a=fmtp:104 packetization-mode=1;profile-level-id=42e01f\r\n";
  const auto offer =
      SdpOffer::parse(session(videoSection("recvonly", "100 102 104", formats)), OfferRole::Viewer);
  EXPECT_EQ(offer.video()->payloadType, 104);
  EXPECT_EQ(offer.video()->videoCodec, VideoCodec::H264);
}

TEST(SdpOffer, ViewerWithoutH264GetsVp8) {
  const auto offer =
      SdpOffer::parse(session(videoSection("recvonly", "100 101",
                                           "a=rtpmap:100 VP8/90000\r\na=rtpmap:101 VP9/90000\r\n")),
                      OfferRole::Viewer);
  EXPECT_EQ(offer.video()->videoCodec, VideoCodec::VP8);
}

TEST(SdpOffer, UnusableCodecsAre422) {
  EXPECT_EQ(kindOf(session(videoSection("sendonly", "101", "a=rtpmap:101 VP9/90000\r\n")),
                   OfferRole::Publisher),
            ErrorKind::Unprocessable);
  EXPECT_EQ(kindOf(session(audioSection("sendonly", "PCMU/8000")), OfferRole::Publisher),
            ErrorKind::Unprocessable);
  // H264 in packetization-mode 0 only: we packetize FU-A.
  EXPECT_EQ(kindOf(session(videoSection("sendonly", "96",
                                        "a=rtpmap:96 H264/90000\r\n"
                                        "a=fmtp:96 packetization-mode=0\r\n")),
                   OfferRole::Publisher),
            ErrorKind::Unprocessable);
}

TEST(SdpOffer, WrongDirectionIs422) {
  const std::string vp8 = "a=rtpmap:100 VP8/90000\r\n";
  EXPECT_EQ(kindOf(session(videoSection("recvonly", "100", vp8)), OfferRole::Publisher),
            ErrorKind::Unprocessable);
  EXPECT_EQ(kindOf(session(videoSection("sendonly", "100", vp8)), OfferRole::Viewer),
            ErrorKind::Unprocessable);
  EXPECT_NO_THROW(
      SdpOffer::parse(session(videoSection("sendrecv", "100", vp8)), OfferRole::Viewer));
}

TEST(SdpOffer, TwoVideoTracksAre422) {
  const std::string vp8 = "a=rtpmap:100 VP8/90000\r\n";
  EXPECT_EQ(
      kindOf(session(videoSection("sendonly", "100", vp8) + videoSection("sendonly", "100", vp8)),
             OfferRole::Publisher),
      ErrorKind::Unprocessable);
}

TEST(SdpOffer, MalformedOffersAre400) {
  EXPECT_EQ(kindOf("", OfferRole::Publisher), ErrorKind::BadRequest);
  EXPECT_EQ(kindOf("  \r\n", OfferRole::Publisher), ErrorKind::BadRequest);
  EXPECT_EQ(kindOf("hello world", OfferRole::Publisher), ErrorKind::BadRequest);
  EXPECT_EQ(kindOf(session(""), OfferRole::Publisher), ErrorKind::BadRequest);  // no m= line
  std::string noFingerprint =
      session(videoSection("sendonly", "100", "a=rtpmap:100 VP8/90000\r\n"));
  noFingerprint.erase(noFingerprint.find("a=fingerprint"),
                      noFingerprint.find("a=setup") - noFingerprint.find("a=fingerprint"));
  EXPECT_EQ(kindOf(noFingerprint, OfferRole::Publisher), ErrorKind::BadRequest);
}

TEST(SdpOffer, BundleOnlyMlineWithPortZeroIsKept) {
  std::string audio = audioSection("recvonly", "OPUS/48000/2");
  audio.replace(audio.find("m=audio 9"), 9, "m=audio 0");
  audio += "a=bundle-only\r\n";
  const auto offer = SdpOffer::parse(
      session(videoSection("recvonly", "100", "a=rtpmap:100 VP8/90000\r\n") + audio),
      OfferRole::Viewer);
  EXPECT_NE(offer.audio(), nullptr);
}

TEST(SdpOffer, PortZeroWithoutBundleOnlyIsRejectedByTheOfferer) {
  std::string audio = audioSection("recvonly", "OPUS/48000/2");
  audio.replace(audio.find("m=audio 9"), 9, "m=audio 0");
  const auto offer = SdpOffer::parse(
      session(videoSection("recvonly", "100", "a=rtpmap:100 VP8/90000\r\n") + audio),
      OfferRole::Viewer);
  EXPECT_EQ(offer.audio(), nullptr);
}

TEST(SdpOffer, BundledMlinesShareTheTagCredentials) {
  const auto offer = SdpOffer::parse(
      session(videoSection("sendonly", "100", "a=rtpmap:100 VP8/90000\r\n", "first") +
              audioSection("sendonly", "opus/48000/2", "second")),
      OfferRole::Publisher);
  SdpMessagePtr msg = offer.messageForWebrtc();
  EXPECT_STREQ(
      gst_sdp_media_get_attribute_val(gst_sdp_message_get_media(msg.get(), 1), "ice-ufrag"),
      "first");
  EXPECT_STREQ(gst_sdp_media_get_attribute_val(gst_sdp_message_get_media(msg.get(), 1), "ice-pwd"),
               "aaaaaaaaaaaaaaaaaaaaaaaa");
}

TEST(FixAnswer, AddsTheOfferedProfileLevelId) {
  const std::string answer =
      "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 98\r\na=rtpmap:98 H264/90000\r\n"
      "a=fmtp:98 packetization-mode=1\r\n";
  const std::string fixed = fixAnswer(answer, {{{98, "42e01f"}}, ""});
  EXPECT_NE(fixed.find("a=fmtp:98 packetization-mode=1;profile-level-id=42e01f\r\n"),
            std::string::npos);
}

TEST(FixAnswer, AddsAnFmtpLineWhenThereIsNone) {
  const std::string answer =
      "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 98\r\na=rtpmap:98 H264/90000\r\n"
      "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n";
  const std::string fixed = fixAnswer(answer, {{{98, "42e01f"}}, ""});
  const auto fmtp = fixed.find("a=fmtp:98 packetization-mode=1;profile-level-id=42e01f");
  ASSERT_NE(fmtp, std::string::npos);
  EXPECT_LT(fmtp, fixed.find("m=audio"));
}

TEST(FixAnswer, PublicIpReplacesHostCandidatesOnly) {
  const std::string answer =
      "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 98\r\nc=IN IP4 10.0.0.5\r\n"
      "a=candidate:1 1 UDP 2015364095 10.0.0.5 50000 typ host\r\n"
      "a=candidate:2 1 UDP 1015364095 198.51.100.1 50001 typ srflx raddr 10.0.0.5 rport 50000\r\n";
  const std::string fixed = fixAnswer(answer, {{}, "203.0.113.7"});
  EXPECT_NE(fixed.find("a=candidate:1 1 UDP 2015364095 203.0.113.7 50000 typ host\r\n"),
            std::string::npos);
  EXPECT_NE(fixed.find("198.51.100.1 50001 typ srflx"), std::string::npos);
  EXPECT_NE(fixed.find("c=IN IP4 203.0.113.7\r\n"), std::string::npos);
}

// RFC 9725 §4.4.1 / WHEP §4.6.1: a=rtcp-mux-only in every bundled m-section, once.
TEST(FixAnswer, AddsRtcpMuxOnlyToEveryMuxedSection) {
  const std::string answer =
      "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 98\r\na=rtcp-mux\r\n"
      "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtcp-mux\r\na=rtcp-mux-only\r\n"
      "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n";
  const std::string fixed = fixAnswer(answer, {});
  EXPECT_EQ(fixed,
            "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 98\r\na=rtcp-mux\r\na=rtcp-mux-only\r\n"
            "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtcp-mux\r\na=rtcp-mux-only\r\n"
            "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n");
}

}  // namespace
// Issue 7: SDP with invalid UTF-8 answered 500 (the error message could not be written as JSON).
TEST(SdpOffer, InvalidUtf8Is400) {
  std::string sdp = session(videoSection("sendonly", "96 98", kH264Pm0And1));
  sdp.replace(sdp.find("s=-"), 3, "s=\xFF\xFE");
  EXPECT_EQ(kindOf(sdp, OfferRole::Publisher), ErrorKind::BadRequest);
  try {
    SdpOffer::parse(sdp, OfferRole::Publisher);
  } catch (const ControlError& e) {
    EXPECT_NE(std::string(e.what()).find("UTF-8"), std::string::npos);
  }
}

TEST(SdpOffer, ControlCharactersAre400) {
  std::string sdp = session(videoSection("sendonly", "96 98", kH264Pm0And1));
  sdp.replace(sdp.find("s=-"), 3, std::string("s=a\0b", 5));
  EXPECT_EQ(kindOf(sdp, OfferRole::Publisher), ErrorKind::BadRequest);
}

// Issue 7: every distinct a=extmap id became a GStreamer structure field name (a GQuark, never
// freed) when caps were made from the media, even for a refused offer: 400 offers, +39 MB.
TEST(SdpOffer, ExtmapIdsOutsideRfc8285AreRefusedBeforeAnyCapsAreMade) {
  const std::string twcc =
      " http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n";
  for (const std::string id : {"99999", "4242", "256", "0", "abc", "7/bogus", "-3", "12x"}) {
    const std::string field = "extmap-" + id.substr(0, id.find('/'));
    const bool before = g_quark_try_string(field.c_str()) != 0;
    const std::string sdp = session(videoSection(
        "sendonly", "96 98",
        "a=rtpmap:98 H264/90000\r\na=fmtp:98 packetization-mode=1\r\na=extmap:" + id + twcc));
    EXPECT_EQ(kindOf(sdp, OfferRole::Publisher), ErrorKind::BadRequest) << id;
    if (!before) {
      EXPECT_EQ(g_quark_try_string(field.c_str()), 0u) << field << " was interned";
    }
  }
  // Also when the offer would be refused later for another reason (no usable codec: 422).
  const std::string refused =
      session(videoSection("sendonly", "96", "a=rtpmap:96 AV1/90000\r\na=extmap:77777" + twcc));
  EXPECT_EQ(kindOf(refused, OfferRole::Publisher), ErrorKind::BadRequest);
  EXPECT_EQ(g_quark_try_string("extmap-77777"), 0u);
}

TEST(SdpOffer, ValidExtmapIdsAreAccepted) {
  const std::string twcc =
      " http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n";
  for (const std::string id : {"1", "14", "200", "255", "5/sendrecv"}) {
    const std::string sdp = session(videoSection(
        "sendonly", "98",
        "a=rtpmap:98 H264/90000\r\na=fmtp:98 packetization-mode=1\r\na=extmap:" + id + twcc +
            "a=extmap:" + (id == "1" ? "2" : "1") + " urn:ietf:params:rtp-hdrext:sdes:mid\r\n"));
    EXPECT_NO_THROW(SdpOffer::parse(sdp, OfferRole::Publisher)) << id;
  }
  const std::string dup = session(
      videoSection("sendonly", "98",
                   "a=rtpmap:98 H264/90000\r\na=fmtp:98 packetization-mode=1\r\na=extmap:3" + twcc +
                       "a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"));
  EXPECT_EQ(kindOf(dup, OfferRole::Publisher), ErrorKind::BadRequest);
}

TEST(SdpOffer, CountsAndLineLengthsAreBounded) {
  std::string many;
  for (unsigned i = 0; i <= kMaxSdpMediaSections; ++i)
    many += "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n";
  EXPECT_EQ(
      kindOf(session(videoSection("sendonly", "96 98", kH264Pm0And1) + many), OfferRole::Publisher),
      ErrorKind::BadRequest);
  std::string attrs = kH264Pm0And1;
  for (unsigned i = 0; i <= kMaxSdpAttributes; ++i)
    attrs += "a=x-filler:" + std::to_string(i) + "\r\n";
  EXPECT_EQ(kindOf(session(videoSection("sendonly", "96 98", attrs)), OfferRole::Publisher),
            ErrorKind::BadRequest);
  const std::string longLine = "a=x-long:" + std::string(kMaxSdpLineBytes, 'a') + "\r\n";
  EXPECT_EQ(kindOf(session(videoSection("sendonly", "96 98", kH264Pm0And1 + longLine)),
                   OfferRole::Publisher),
            ErrorKind::BadRequest);
}

}  // namespace cs
