#include "http/Authorizer.h"

#include <openssl/crypto.h>
#include <strings.h>

#include <fstream>
#include <sstream>

#include "util/ControlError.h"

namespace cs::http {

bool tokenEquals(const std::string& given, const std::string& expected) {
  if (expected.empty() || given.size() != expected.size()) return false;
  return CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

Authorizer::Authorizer(const AuthSettings& settings) : admin_(settings.adminToken) {
  if (!settings.token.empty()) grants_.push_back({"*", true, settings.token});
  if (settings.tokenFile.empty()) return;
  std::ifstream in(settings.tokenFile);
  if (!in) throw std::runtime_error("--auth-file: cannot read " + settings.tokenFile);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::istringstream words(line);
    std::string stream, role, token, extra;
    if (!(words >> stream)) continue;
    if (!(words >> role >> token) || (words >> extra) ||
        (role != "publish" && role != "view" && role != "any"))
      throw std::runtime_error("--auth-file " + settings.tokenFile + " line " + std::to_string(n) +
                               ": expected \"STREAM publish|view|any TOKEN\"");
    grants_.push_back({stream, role != "view", token});
  }
}

std::string Authorizer::presentedToken(const Request& req) {
  const std::string auth = req.header("Authorization");
  // RFC 6750 §2.1: "Bearer" (case-insensitive, RFC 9110 §11.1) then the token.
  if (auth.size() > 7 && strncasecmp(auth.c_str(), "bearer ", 7) == 0) {
    std::string t = auth.substr(7);
    t.erase(0, t.find_first_not_of(' '));
    t.erase(t.find_last_not_of(" \t") + 1);
    return t;
  }
  if (req.hasParam("access_token")) return req.param("access_token");
  return req.param("token");
}

bool Authorizer::isAdmin(const Request& req) const {
  return !admin_.empty() && tokenEquals(presentedToken(req), admin_);
}

void Authorizer::require(const Request& req, Role role, const std::string& streamId) const {
  if (grants_.empty()) return;
  const std::string given = presentedToken(req);
  if (tokenEquals(given, admin_)) return;
  for (const auto& g : grants_)
    if ((g.stream == "*" || g.stream == streamId) && (g.publish || role == Role::View) &&
        tokenEquals(given, g.token))
      return;
  if (given.empty())
    throw ControlError(ErrorKind::Unauthorized, "Authorization: Bearer <token> required");
  throw ControlError(ErrorKind::InvalidToken,
                     std::string("the token does not allow ") +
                         (role == Role::Publish ? "publishing to" : "viewing") + " this stream");
}

void Authorizer::requirePublisher(const Request& req) const {
  if (grants_.empty()) return;
  const std::string given = presentedToken(req);
  if (tokenEquals(given, admin_)) return;
  for (const auto& g : grants_)
    if (g.publish && tokenEquals(given, g.token)) return;
  if (given.empty())
    throw ControlError(ErrorKind::Unauthorized, "Authorization: Bearer <token> required");
  throw ControlError(ErrorKind::InvalidToken, "the token does not allow publishing");
}

void Authorizer::requireAdmin(const Request& req) const {
  if (admin_.empty() || isAdmin(req)) return;
  throw ControlError(
      presentedToken(req).empty() ? ErrorKind::Unauthorized : ErrorKind::InvalidToken,
      "this route needs the admin token");
}

}  // namespace cs::http
