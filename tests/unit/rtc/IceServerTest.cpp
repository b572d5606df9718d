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

// Found by fuzz_ice_server: CR/LF in a TURN credential went raw into the Link header, splitting
// it (tests/fuzz/corpus/ice_server/crlf-credential.txt, del-in-host.txt).
TEST(IceServer, RejectsControlCharactersInCredentials) {
  EXPECT_THROW(IceServer::parse("turn:u:p\r\nX-Injected: 1@h:3478"), std::invalid_argument);
  EXPECT_THROW(IceServer::parse("turn:u\n:p@h"), std::invalid_argument);
  EXPECT_THROW(IceServer::parse(std::string_view("turn:u:p\0q@h", 12)), std::invalid_argument);
  EXPECT_THROW(IceServer::parse("turn:u:p\x7f@h"), std::invalid_argument);
  // Tabs are control characters too; spaces and non-ASCII are fine in a quoted-string.
  EXPECT_THROW(IceServer::parse("turn:u:p\tq@h"), std::invalid_argument);
  EXPECT_NO_THROW(IceServer::parse("turn:u:p q\xc3\xa9@h"));
  // DEL in the host (found next: the host check stopped at space).
  EXPECT_THROW(IceServer::parse("turns:example.c\x7fm:5349"), std::invalid_argument);
}

// Issue 7: TURN credentials with CR/LF went raw into Link headers (header injection).
TEST(IceServer, ControlCharactersAreRefused) {
  EXPECT_THROW(IceServer::parse("turn:al\r\nX-Evil: 1:pw@host:3478"), std::invalid_argument);
  EXPECT_THROW(IceServer::parse("turn:alice:p\nw@host:3478"), std::invalid_argument);
  EXPECT_THROW(IceServer::parse("stun:host\r\n:3478"), std::invalid_argument);
  EXPECT_THROW(IceServer::parse("turn:alice:pw@host>:3478"), std::invalid_argument);
}

TEST(IceServer, LinkValuesNeverCarryControlCharacters) {
  IceServer s{"turn:host:3478", "al\r\nice", "pw\n"};  // built in code, not parsed
  EXPECT_FALSE(s.isSafe());
  EXPECT_EQ(s.linkHeaderValue().find_first_of("\r\n"), std::string::npos);
  IceServer ok{"turn:host:3478", "a\\b", "p\"w"};
  EXPECT_TRUE(ok.isSafe());
  // RFC 8288 §3 quoted-string: '\\' and '"' as quoted-pairs.
  EXPECT_NE(ok.linkHeaderValue().find("username=\"a\\\\b\"; credential=\"p\\\"w\""),
            std::string::npos)
      << ok.linkHeaderValue();
}

}  // namespace cs
