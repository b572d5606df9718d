#pragma once
// Bearer tokens (RFC 6750) for WHIP, WHEP and the control routes.
//   --auth-token T        publish, view and control every stream
//   --auth-file F         per stream: lines "STREAM ROLE TOKEN" (STREAM may be *, ROLE is
//                         publish, view or any; # starts a comment)
//   --admin-token T       everything, and the stats routes
// A token comes in "Authorization: Bearer T" or, for players that cannot set headers, in the
// URL as ?access_token=T (RFC 6750 §2.3) or ?token=T. A publish token also lets its holder view.
#include <string>
#include <vector>

#include "http/Request.h"

namespace cs::http {

struct AuthSettings {
  std::string token;
  std::string tokenFile;
  std::string adminToken;
};

enum class Role { Publish, View };

class Authorizer {
 public:
  // Reads the token file; throws std::runtime_error naming the line that is wrong.
  explicit Authorizer(const AuthSettings& settings);
  Authorizer() = default;  // no tokens: everything open

  // Stream access needs a token once any publish/view token is configured.
  bool streamsProtected() const { return !grants_.empty(); }
  bool adminProtected() const { return !admin_.empty(); }

  // Throws ControlError(Unauthorized) unless the request carries a token that grants `role` on
  // `streamId`, or the admin token. Open when no stream token is configured.
  void require(const Request& req, Role role, const std::string& streamId) const;
  // For what every publisher shares (the workflow library): a token that may publish some
  // stream, or the admin token. Open when no stream token is configured.
  void requirePublisher(const Request& req) const;
  // For routes that reveal or change every stream: the admin token when one is configured.
  void requireAdmin(const Request& req) const;
  bool isAdmin(const Request& req) const;

  // The token a request presents, from the header or the URL; "" when none.
  static std::string presentedToken(const Request& req);

 private:
  struct Grant {
    std::string stream;  // "*" for every stream
    bool publish = false;
    std::string token;
  };
  std::vector<Grant> grants_;
  std::string admin_;
};

// Constant-time comparison (CRYPTO_memcmp), so a token cannot be guessed byte by byte.
bool tokenEquals(const std::string& given, const std::string& expected);

}  // namespace cs::http
