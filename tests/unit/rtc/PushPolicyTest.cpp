// The pieces of a push that decide where and when it connects: --push-allow, the back-off, and
// how remote refusals are read.
#include <gtest/gtest.h>

#include <stdexcept>

#include "rtc/PushAllowList.h"
#include "rtc/PushOffer.h"
#include "rtc/RetryBackoff.h"
#include "rtc/WhipClient.h"

namespace cs {
namespace {

bool allows(const PushAllowList& l, const std::string& u) {
  return l.allows(*HttpUrl::parse(u));
}

}  // namespace

TEST(PushAllowList, EmptyAllowsNothing) {
  const auto l = PushAllowList::parse("");
  EXPECT_TRUE(l.empty());
  EXPECT_FALSE(allows(l, "http://127.0.0.1/whip"));
}

TEST(PushAllowList, HostsPortsAndDomains) {
  const auto l = PushAllowList::parse("127.0.0.1:8889, Media.Example.com,*.cdn.example.net,[::1]");
  EXPECT_TRUE(allows(l, "http://127.0.0.1:8889/whip"));
  EXPECT_FALSE(allows(l, "http://127.0.0.1:8890/whip"));
  EXPECT_TRUE(allows(l, "https://media.example.com/whip"));
  EXPECT_TRUE(allows(l, "http://media.example.com:1234/whip"));
  EXPECT_FALSE(allows(l, "http://media.example.com.evil.org/whip"));
  EXPECT_TRUE(allows(l, "https://a.cdn.example.net/w"));
  EXPECT_TRUE(allows(l, "https://a.b.cdn.example.net/w"));
  EXPECT_FALSE(allows(l, "https://cdn.example.net/w"));
  EXPECT_FALSE(allows(l, "https://evilcdn.example.net/w"));
  EXPECT_TRUE(allows(l, "http://[::1]:9/w"));
  EXPECT_FALSE(allows(l, "http://169.254.169.254/latest/meta-data"));
  EXPECT_TRUE(allows(PushAllowList::parse("*"), "http://anything:1/x"));
}

TEST(PushAllowList, RefusesMalformedPatterns) {
  for (const char* bad : {"http://h", "h/path", "u@h", "h:99999", "*.[::1]", "a b"})
    EXPECT_THROW(PushAllowList::parse(bad), std::invalid_argument) << bad;
}

TEST(RetryBackoff, DoublesUpToTheCapWithinItsUpperHalf) {
  using std::chrono::milliseconds;
  RetryBackoff low(milliseconds(1000), milliseconds(30000), [] { return 0.0; });
  RetryBackoff high(milliseconds(1000), milliseconds(30000), [] { return 0.999999; });
  const long want[] = {1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000};
  for (long step : want) {
    EXPECT_EQ(low.next().count(), step / 2);
    EXPECT_NEAR(static_cast<double>(high.next().count()), step, 1.0);
  }
  low.reset();
  EXPECT_EQ(low.next().count(), 500);
}

TEST(RetryBackoff, RetryAfterIsAFloorButNeverPastTheCap) {
  using std::chrono::milliseconds;
  RetryBackoff b(milliseconds(1000), milliseconds(30000), [] { return 0.0; });
  EXPECT_EQ(b.next(milliseconds(5000)).count(), 5000);
  EXPECT_EQ(b.next(milliseconds(600000)).count(), 30000);
}

TEST(RetryBackoff, JitterSpreadsDelays) {
  RetryBackoff b;  // the real random source
  for (int i = 0; i < 100; ++i) {
    b.reset();
    const auto d = b.next();
    EXPECT_GE(d.count(), 500);
    EXPECT_LE(d.count(), 1000);
  }
}

TEST(WhipClient, WhichRefusalsAreWorthRetrying) {
  for (int s : {408, 409, 425, 429, 500, 502, 503, 504}) EXPECT_TRUE(WhipClient::retryable(s)) << s;
  for (int s : {400, 401, 403, 404, 405, 413, 415, 422})
    EXPECT_FALSE(WhipClient::retryable(s)) << s;
}

TEST(WhipClient, RetryAfterSecondsOnly) {
  EXPECT_EQ(WhipClient::parseRetryAfter("10"), std::chrono::seconds(10));
  EXPECT_EQ(WhipClient::parseRetryAfter("999999999"), std::chrono::seconds(86400));
  EXPECT_FALSE(WhipClient::parseRetryAfter(""));
  EXPECT_FALSE(WhipClient::parseRetryAfter("-1"));
  EXPECT_FALSE(WhipClient::parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT"));
}

}  // namespace cs

namespace cs {

TEST(PushOffer, AnnouncesTheEncodersH264Profile) {
  const std::string sdp =
      "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96 97\r\na=rtpmap:96 H264/90000\r\n"
      "a=fmtp:96 packetization-mode=1\r\na=fmtp:97 apt=96\r\n";
  EXPECT_EQ(announceH264Profile(sdp, 96),
            "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96 97\r\na=rtpmap:96 H264/90000\r\n"
            "a=fmtp:96 packetization-mode=1;profile-level-id=42e01f;level-asymmetry-allowed=1\r\n"
            "a=fmtp:97 apt=96\r\n");
  const std::string has = "a=fmtp:96 profile-level-id=640c1f;level-asymmetry-allowed=0\n";
  EXPECT_EQ(announceH264Profile(has, 96), has);
  EXPECT_EQ(announceH264Profile("a=fmtp:960 x=1", 96), "a=fmtp:960 x=1");
}

}  // namespace cs
