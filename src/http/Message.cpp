#include <strings.h>

#include "http/Request.h"
#include "http/Response.h"

namespace cs::http {

bool CaseInsensitiveLess::operator()(std::string_view a, std::string_view b) const {
  const size_t n = std::min(a.size(), b.size());
  const int c = strncasecmp(a.data(), b.data(), n);
  return c != 0 ? c < 0 : a.size() < b.size();
}

std::string Request::header(std::string_view name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

bool Request::hasHeader(std::string_view name) const {
  return headers.contains(name);
}

std::string Request::param(std::string_view name) const {
  auto it = params.find(std::string(name));
  return it == params.end() ? std::string() : it->second;
}

bool Request::hasParam(std::string_view name) const {
  return params.contains(std::string(name));
}

void Response::setHeader(std::string_view name, std::string_view value) {
  headers.erase(std::string(name));
  headers.emplace(name, value);
}

void Response::addHeader(std::string_view name, std::string_view value) {
  headers.emplace(name, value);
}

void Response::setContent(std::string b, std::string_view contentType) {
  body = std::move(b);
  setHeader("Content-Type", contentType);
}

}  // namespace cs::http
