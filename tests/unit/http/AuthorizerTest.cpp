#include "http/Authorizer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "util/ControlError.h"

namespace cs::http {
namespace {

Request withBearer(const std::string& token) {
  Request r;
  r.headers.emplace("Authorization", "Bearer " + token);
  return r;
}

bool allowed(const Authorizer& a, const Request& r, Role role, const std::string& stream) {
  try {
    a.require(r, role, stream);
    return true;
  } catch (const ControlError& e) {
    EXPECT_TRUE(e.kind() == ErrorKind::Unauthorized || e.kind() == ErrorKind::InvalidToken);
    EXPECT_EQ(e.kind() == ErrorKind::Unauthorized, Authorizer::presentedToken(r).empty());
    return false;
  }
}

TEST(Authorizer, NoTokensMeansOpen) {
  const Authorizer a;
  EXPECT_TRUE(allowed(a, Request{}, Role::Publish, "s"));
  EXPECT_NO_THROW(a.requireAdmin(Request{}));
}

TEST(Authorizer, OneTokenGuardsEveryStream) {
  const Authorizer a(AuthSettings{"secret", "", ""});
  EXPECT_FALSE(allowed(a, Request{}, Role::Publish, "s"));
  EXPECT_FALSE(allowed(a, withBearer("wrong"), Role::View, "s"));
  EXPECT_TRUE(allowed(a, withBearer("secret"), Role::Publish, "s"));
  Request lower;
  lower.headers.emplace("authorization", "bearer secret");  // RFC 9110 §11.1: case-insensitive
  EXPECT_TRUE(allowed(a, lower, Role::View, "s"));
}

TEST(Authorizer, TokenInTheUrlForPlayersWithoutHeaders) {
  const Authorizer a(AuthSettings{"secret", "", ""});
  Request r;
  r.params.emplace("access_token", "secret");  // RFC 6750 §2.3
  EXPECT_TRUE(allowed(a, r, Role::View, "s"));
  Request t;
  t.params.emplace("token", "secret");
  EXPECT_TRUE(allowed(a, t, Role::View, "s"));
}

TEST(Authorizer, PerStreamTokensFromAFile) {
  char path[] = "/tmp/cs-auth-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << "# stream role token\ncam1 publish p1\ncam1 view v1\n* view anyone\n";
  const Authorizer a(AuthSettings{"", path, "adm"});
  unlink(path);
  EXPECT_TRUE(allowed(a, withBearer("p1"), Role::Publish, "cam1"));
  EXPECT_TRUE(allowed(a, withBearer("p1"), Role::View, "cam1")) << "a publisher may watch";
  EXPECT_FALSE(allowed(a, withBearer("p1"), Role::Publish, "cam2"));
  EXPECT_FALSE(allowed(a, withBearer("v1"), Role::Publish, "cam1"));
  EXPECT_TRUE(allowed(a, withBearer("anyone"), Role::View, "cam2"));
  EXPECT_TRUE(allowed(a, withBearer("adm"), Role::Publish, "cam2"));
  EXPECT_THROW(a.requireAdmin(withBearer("p1")), ControlError);
  EXPECT_NO_THROW(a.requireAdmin(withBearer("adm")));
}

// The workflow library (GET /workflows) is shared by every publisher: any publish grant opens it.
TEST(Authorizer, APublisherOfAnyStreamMayReadWhatPublishersShare) {
  char path[] = "/tmp/cs-auth-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << "cam1 publish p1\ncam1 view v1\n";
  const Authorizer a(AuthSettings{"", path, "adm"});
  unlink(path);
  EXPECT_NO_THROW(a.requirePublisher(withBearer("p1")));
  EXPECT_NO_THROW(a.requirePublisher(withBearer("adm")));
  EXPECT_THROW(a.requirePublisher(withBearer("v1")), ControlError);
  EXPECT_THROW(a.requirePublisher(Request{}), ControlError);
  EXPECT_NO_THROW(Authorizer().requirePublisher(Request{}));
}

TEST(Authorizer, ABadFileLineStopsStartUp) {
  char path[] = "/tmp/cs-auth-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << "cam1 owner p1\n";
  EXPECT_THROW(Authorizer(AuthSettings{"", path, ""}), std::runtime_error);
  unlink(path);
}

}  // namespace
}  // namespace cs::http
