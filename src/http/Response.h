#pragma once
#include <map>
#include <string>
#include <string_view>

#include "http/Request.h"

namespace cs::http {

struct Response {
  int status = 200;
  std::multimap<std::string, std::string, CaseInsensitiveLess> headers;
  std::string body;

  // Replaces every earlier value of the header.
  void setHeader(std::string_view name, std::string_view value);
  // Adds one more value (e.g. one Link header per ICE server, RFC 9725 §4.6).
  void addHeader(std::string_view name, std::string_view value);
  void setContent(std::string body, std::string_view contentType);
};

}  // namespace cs::http
