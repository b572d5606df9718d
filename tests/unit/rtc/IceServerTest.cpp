#include "rtc/IceServer.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace cs {

TEST(IceServer, StunLinkHeaderHasOnlyTheUrl) {
  const auto s = IceServer::parse("stun:stun.l.google.com:19302");
  EXPECT_EQ(s.linkHeaderValue(), "<stun:stun.l.google.com:19302>; rel=\"ice-server\"");
}

TEST(IceServer, TurnCredentialsBecomeLinkAttributes) {
  const auto s = IceServer::parse("turn:alice:s3cret@turn.example.com:3478?transport=udp");
  EXPECT_EQ(s.url, "turn:turn.example.com:3478?transport=udp");
  EXPECT_EQ(s.linkHeaderValue(),
            "<turn:turn.example.com:3478?transport=udp>; rel=\"ice-server\"; "
            "username=\"alice\"; credential=\"s3cret\"; credential-type=\"password\"");
}

TEST(IceServer, QuotesInCredentialsAreEscaped) {
  const auto s = IceServer::parse("turns:u:p\"q@h:5349");
  EXPECT_NE(s.linkHeaderValue().find("credential=\"p\\\"q\""), std::string::npos);
}

TEST(IceServer, RejectsBadSpecs) {
  EXPECT_THROW(IceServer::parse("stun.example.com"), std::invalid_argument);
  EXPECT_THROW(IceServer::parse("http://x"), std::invalid_argument);
  EXPECT_THROW(IceServer::parse("stun:user:pw@host"), std::invalid_argument);
  EXPECT_THROW(IceServer::parse("turn:nopassword@host"), std::invalid_argument);
  EXPECT_THROW(IceServer::parse("turn:"), std::invalid_argument);
}

}  // namespace cs
