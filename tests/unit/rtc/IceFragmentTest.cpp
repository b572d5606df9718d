#include "rtc/IceFragment.h"

#include <gtest/gtest.h>

#include "util/ControlError.h"

namespace cs {
namespace {

// RFC 9725 §4.3.2's example, as a browser sends it (CRLF, one m-line, end-of-candidates).
constexpr const char* kTrickle =
    "a=ice-ufrag:EsAw\r\n"
    "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"
    "m=audio 9 RTP/AVP 0\r\n"
    "a=mid:0\r\n"
    "a=candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0 ufrag EsAw "
    "network-id 1\r\n"
    "a=candidate:3471623853 1 udp 2122194687 198.51.100.1 61765 typ host generation 0 ufrag EsAw "
    "network-id 2\r\n"
    "a=candidate:473322822 1 tcp 1518280447 192.0.2.1 9 typ host tcptype active generation 0 "
    "ufrag EsAw network-id 1\r\n"
    "a=candidate:2154773085 1 tcp 1518214911 198.51.100.2 9 typ host tcptype active generation 0 "
    "ufrag EsAw network-id 2\r\n"
    "a=end-of-candidates\r\n";

bool isBadRequest(const std::string& text) {
  try {
    IceFragment::parse(text);
  } catch (const ControlError& e) {
    return e.kind() == ErrorKind::BadRequest;
  }
  return false;
}

TEST(IceFragment, ParsesTheSpecExample) {
  const IceFragment f = IceFragment::parse(kTrickle);
  EXPECT_EQ(f.effectiveUfrag(), "EsAw");
  EXPECT_EQ(f.effectivePwd(), "P2uYro0UCOQ4zxjKXaWCBui1");
  ASSERT_EQ(f.media.size(), 1u);
  EXPECT_EQ(f.media[0].mid, "0");
  EXPECT_TRUE(f.media[0].endOfCandidates);
  // RFC 9725 §4.3.2: unsupported transports are discarded silently, the rest is kept.
  ASSERT_EQ(f.media[0].candidates.size(), 2u);
  EXPECT_EQ(f.media[0].candidates[0],
            "candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0 ufrag "
            "EsAw network-id 1");
  EXPECT_EQ(f.discarded, 2u);
}

TEST(IceFragment, MediaLevelCredentialsWinAndLfLinesWork) {
  const IceFragment f = IceFragment::parse(
      "a=ice-ufrag:sess\na=ice-pwd:sessionpasswordsession1\na=ice-options:trickle ice2\n"
      "m=video 9 UDP/TLS/RTP/SAVPF 96\na=mid:v\na=ice-ufrag:medi\n"
      "a=ice-pwd:mediapasswordmediapass\n");
  EXPECT_EQ(f.effectiveUfrag(), "medi");
  EXPECT_EQ(f.effectivePwd(), "mediapasswordmediapass");
  EXPECT_EQ(f.iceOptions, (std::vector<std::string>{"trickle", "ice2"}));
  EXPECT_TRUE(f.media[0].candidates.empty());
}

TEST(IceFragment, DiscardsWhatThisServerCannotUse) {
  const IceFragment f = IceFragment::parse(
      "a=ice-ufrag:abcd\r\nm=audio 9 RTP/AVP 0\r\na=mid:0\r\n"
      // a hostname (mDNS): nothing is resolved on a client's say-so
      "a=candidate:1 1 udp 2122260223 1f4712db-ea17-4bcf-a596-105139dfd8bf.local 54321 typ host\r\n"
      // RTCP component: rtcp-mux only
      "a=candidate:2 2 udp 2122260222 192.0.2.1 61765 typ host\r\n"
      "a=candidate:3 1 UDP 2122260221 192.0.2.1 0 typ host\r\n"
      "a=candidate:4 1 UDP 2122260221 2001:db8::1 5000 typ host\r\n"
      "a=candidate:5 1 udp 1686052607 203.0.113.9 61766 typ srflx raddr 192.0.2.1 rport 61764\r\n");
  ASSERT_EQ(f.media[0].candidates.size(), 2u);
  EXPECT_EQ(f.media[0].candidates[0], "candidate:4 1 UDP 2122260221 2001:db8::1 5000 typ host");
  EXPECT_EQ(f.discarded, 3u);
}

TEST(IceFragment, CandidatesWithoutAnMLineGoToAnUnnamedSection) {
  const IceFragment f =
      IceFragment::parse("a=ice-ufrag:abcd\r\na=candidate:1 1 udp 1 192.0.2.1 9000 typ host\r\n");
  ASSERT_EQ(f.media.size(), 1u);
  EXPECT_EQ(f.media[0].mid, "");
  EXPECT_EQ(f.media[0].candidates.size(), 1u);
  EXPECT_EQ(f.effectiveUfrag(), "abcd");
}

TEST(IceFragment, MalformedFragmentsAreBadRequests) {
  EXPECT_TRUE(isBadRequest(""));
  EXPECT_TRUE(isBadRequest("\r\n\r\n"));
  EXPECT_TRUE(isBadRequest("hello world"));
  EXPECT_TRUE(isBadRequest("a=ice-ufrag:ab\r\n"));                       // RFC 8839: 4-256 chars
  EXPECT_TRUE(isBadRequest("a=ice-ufrag:ab$d\r\n"));                     // not ice-chars
  EXPECT_TRUE(isBadRequest("a=ice-ufrag:abcd\r\na=ice-pwd:short\r\n"));  // 22-256
  EXPECT_TRUE(isBadRequest("a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"));   // pwd without ufrag
  EXPECT_TRUE(isBadRequest("a=mid:0\r\n"));                              // mid before m=
  EXPECT_TRUE(isBadRequest("a=candidate:1 1 udp\r\n"));
  EXPECT_TRUE(isBadRequest("a=candidate:1 1 udp 1 192.0.2.1 9000 host\r\n"));  // no "typ"
  EXPECT_TRUE(isBadRequest("a=candidate:1 1 udp 1 192.0.2.1 99999 typ host\r\n"));
  EXPECT_TRUE(isBadRequest("a=candidate:1 1 udp 99999999999 192.0.2.1 9000 typ host\r\n"));
  EXPECT_TRUE(isBadRequest("a=candidate:1 x udp 1 192.0.2.1 9000 typ host\r\n"));
  EXPECT_TRUE(isBadRequest("a=candidate:1 1 udp 1 192.0.2.1 9000 typ host raddr\r\n"));
  EXPECT_TRUE(isBadRequest("a=ice-ufrag:abcd\r\n\x01\r\n"));
  EXPECT_TRUE(isBadRequest("a=ice-ufrag:abcd\r\na=x:\xff\r\n"));  // not UTF-8
}

// Bounded before anything else reads it (docs/security/LIMITS.md).
TEST(IceFragment, BoundsAreEnforced) {
  EXPECT_TRUE(isBadRequest(std::string(kMaxIceFragmentBytes + 1, 'a')));
  EXPECT_TRUE(isBadRequest("a=x:" + std::string(kMaxIceFragmentLineBytes, 'y') + "\r\n"));
  std::string many;
  for (size_t i = 0; i <= kMaxIceFragmentLines; ++i) many += "a=x\r\n";
  EXPECT_TRUE(isBadRequest(many));
  std::string media;
  for (size_t i = 0; i <= kMaxIceFragmentMedia; ++i) media += "m=audio 9 RTP/AVP 0\r\n";
  EXPECT_TRUE(isBadRequest(media));
}

TEST(IceFragment, FormatsARestartAnswerThatParsesBack) {
  const std::string text =
      formatIceFragment("ufragufragufrag1", "passwordpasswordpassword", {"trickle"}, false, "video",
                        "0", {"candidate:1 1 UDP 2015363327 127.0.0.1 45678 typ host"});
  EXPECT_EQ(text,
            "a=ice-options:trickle\r\n"
            "a=ice-ufrag:ufragufragufrag1\r\n"
            "a=ice-pwd:passwordpasswordpassword\r\n"
            "m=video 9 UDP/TLS/RTP/SAVPF 0\r\n"
            "a=mid:0\r\n"
            "a=candidate:1 1 UDP 2015363327 127.0.0.1 45678 typ host\r\n"
            "a=end-of-candidates\r\n");
  const IceFragment back = IceFragment::parse(text);
  EXPECT_EQ(back.effectiveUfrag(), "ufragufragufrag1");
  EXPECT_EQ(back.media.at(0).candidates.size(), 1u);
}

}  // namespace
}  // namespace cs
