#include "rtc/WhipClient.h"

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "util/LogEscape.h"

namespace cs {
namespace {

using Clock = std::chrono::steady_clock;

struct Reply {
  int status = 0;
  std::string body;
  httplib::Headers headers;
  std::string header(const char* name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

std::unique_ptr<httplib::ClientImpl> clientFor(const HttpUrl& u, const WhipClientSettings& s,
                                               Clock::time_point deadline) {
  std::unique_ptr<httplib::ClientImpl> cli;
  if (u.https) {
    auto ssl = std::make_unique<httplib::SSLClient>(u.host, u.port);
    // A push carries a bearer token and the stream: the server must be who the URL names.
    ssl->enable_server_certificate_verification(true);
    cli = std::move(ssl);
  } else {
    cli = std::make_unique<httplib::ClientImpl>(u.host, u.port);
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  const auto connect = std::max(std::chrono::milliseconds(1), std::min(s.connectTimeout, left));
  const auto io = std::max(std::chrono::milliseconds(1), left);
  cli->set_connection_timeout(connect);
  cli->set_read_timeout(io);
  cli->set_write_timeout(io);
  cli->set_keep_alive(false);
  cli->set_follow_location(false);  // redirects are followed here, each one checked
  return cli;
}

// One request; the body is read up to `maxBytes` and until `deadline`, then given up.
Reply send(const HttpUrl& u, const std::string& method, const httplib::Headers& headers,
           const std::string& body, const std::string& contentType, const WhipClientSettings& s,
           Clock::time_point deadline) {
  if (Clock::now() >= deadline) throw WhipError(method + " " + u.str() + ": timed out", false);
  auto cli = clientFor(u, s, deadline);
  httplib::Request req;
  req.method = method;
  req.path = u.target;
  req.headers = headers;
  if (!contentType.empty()) req.set_header("Content-Type", contentType);
  req.body = body;
  Reply out;
  bool tooBig = false, late = false;
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    if (out.body.size() + n > s.maxAnswerBytes) return !(tooBig = true);
    if (Clock::now() >= deadline) return !(late = true);
    out.body.append(data, n);
    return true;
  };
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  const bool ok = cli->send(req, res, err);
  if (tooBig)
    throw WhipError(method + " " + u.str() + ": the answer is larger than " +
                        std::to_string(s.maxAnswerBytes) + " bytes",
                    true);
  if (late || (!ok && Clock::now() >= deadline))
    throw WhipError(method + " " + u.str() + ": timed out", false);
  if (!ok) throw WhipError(method + " " + u.str() + ": " + httplib::to_string(err), false);
  out.status = res.status;
  out.headers = res.headers;
  return out;
}

std::string mediaType(std::string v) {
  v = v.substr(0, v.find(';'));
  v.erase(0, v.find_first_not_of(" \t"));
  v.erase(v.find_last_not_of(" \t") + 1);
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  return v;
}

}  // namespace

std::optional<std::chrono::seconds> WhipClient::parseRetryAfter(const std::string& value) {
  if (value.empty() || value.size() > 9 ||
      !std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isdigit(c); }))
    return std::nullopt;  // an HTTP-date is not worth honouring: the back-off covers it
  return std::chrono::seconds(std::min(std::stol(value), 86400L));
}

bool WhipClient::retryable(int status) {
  return status == 408 || status == 409 || status == 425 || status == 429 || status >= 500;
}

WhipClient::Session WhipClient::post(const HttpUrl& endpoint, const std::string& token,
                                     const std::string& offer) const {
  const auto deadline = Clock::now() + settings_.timeout;
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  HttpUrl url = endpoint;
  for (unsigned hop = 0;; ++hop) {
    if (!allow_.allows(url))
      throw WhipError("the WHIP server redirected to " + logSafe(url.str(), 200) +
                          ", which --push-allow does not allow",
                      true);
    const Reply r = send(url, "POST", headers, offer, "application/sdp", settings_, deadline);
    if (r.status == 307 || r.status == 308) {
      // RFC 9725 §4.5: a WHIP client follows a redirect with the same request.
      if (hop + 1 > settings_.maxRedirects)
        throw WhipError("more than " + std::to_string(settings_.maxRedirects) + " redirects", true,
                        r.status);
      const auto next = resolveReference(url, r.header("Location"));
      if (!next)
        throw WhipError("redirect " + std::to_string(r.status) + " without a usable Location", true,
                        r.status);
      url = *next;
      continue;
    }
    if (r.status != 201) {
      std::string what = "the WHIP server answered " + std::to_string(r.status);
      if (!r.body.empty()) what += ": " + logSafe(r.body, 200);
      throw WhipError(what, !retryable(r.status), r.status,
                      parseRetryAfter(r.header("Retry-After")));
    }
    // RFC 9725 §4.2: 201 with the SDP answer and the session's URL in Location.
    if (mediaType(r.header("Content-Type")) != "application/sdp")
      throw WhipError("the WHIP server's 201 is not application/sdp", true, 201);
    const std::string loc = r.header("Location");
    if (loc.empty()) throw WhipError("the WHIP server's 201 has no Location", true, 201);
    const auto session = resolveReference(url, loc);
    if (!session)
      throw WhipError("the WHIP server's Location is not a usable http(s) URL", true, 201);
    return {r.body, *session};
  }
}

void WhipClient::end(const HttpUrl& session, const std::string& token) const {
  // A Location on another host than the endpoint is allowed by RFC 9725; one that --push-allow
  // does not cover is not contacted (the remote ends the session by its own timeout).
  if (!allow_.allows(session))
    throw WhipError("the session URL " + logSafe(session.str(), 200) +
                        " is on a host --push-allow does not allow; not deleted",
                    true);
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  const Reply r =
      send(session, "DELETE", headers, "", "", settings_, Clock::now() + settings_.timeout);
  if ((r.status < 200 || r.status > 299) && r.status != 404)
    throw WhipError("DELETE answered " + std::to_string(r.status), !retryable(r.status), r.status);
}

}  // namespace cs
