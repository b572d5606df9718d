#pragma once
// One HTTP request as the routes see it: already size- and time-bounded by HttpServer, its path
// and query decoded and checked as UTF-8.
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace cs::http {

// Header names compare case-insensitively (RFC 9110 §5.1).
struct CaseInsensitiveLess {
  bool operator()(std::string_view a, std::string_view b) const;
  using is_transparent = void;
};

struct Request {
  std::string method;                              // upper case, as sent
  std::string target;                              // as sent: path and query
  std::string path;                                // percent-decoded, without the query
  std::multimap<std::string, std::string> params;  // query, percent-decoded
  std::multimap<std::string, std::string, CaseInsensitiveLess> headers;
  std::string body;
  std::vector<std::string> matches;  // the route's regex groups; [0] is the whole path
  std::string remoteAddress;         // the peer's IP address, without the port
  bool secure = false;               // arrived over TLS

  std::string header(std::string_view name) const;  // "" when absent
  bool hasHeader(std::string_view name) const;
  std::string param(std::string_view name) const;  // "" when absent; the first when repeated
  bool hasParam(std::string_view name) const;
};

}  // namespace cs::http
