#include "http/Router.h"

#include <algorithm>
#include <set>

namespace cs::http {

void Router::add(std::string method, const std::string& pattern, Handler handler, Dispatch dispatch,
                 std::string accepts) {
  routes_.push_back(
      {std::move(method), std::regex(pattern), std::move(handler), dispatch, std::move(accepts)});
}

void Router::upload(const std::string& pattern, Handler handler, uint64_t maxBytes,
                    std::string accepts, Admission admit) {
  add("POST", pattern, std::move(handler), Dispatch::Worker, std::move(accepts));
  routes_.back().uploadLimit = maxBytes;
  routes_.back().admit = std::move(admit);
}

const Router::Admission* Router::uploadAdmission(const std::string& method,
                                                 const std::string& path) const {
  for (const auto& r : routes_)
    if (r.method == method && std::regex_match(path, r.pattern))
      return r.uploadLimit && r.admit ? &r.admit : nullptr;
  return nullptr;
}

uint64_t Router::uploadLimit(const std::string& method, const std::string& path) const {
  for (const auto& r : routes_)
    if (r.method == method && std::regex_match(path, r.pattern)) return r.uploadLimit;
  return 0;
}

uint64_t Router::maxUploadLimit() const {
  uint64_t most = 0;
  for (const auto& r : routes_) most = std::max(most, r.uploadLimit);
  return most;
}

void Router::setFallback(std::function<bool(const Request&, Response&)> fallback) {
  fallback_ = std::move(fallback);
}

Router::Match Router::find(const std::string& method, const std::string& path) const {
  Match out;
  std::set<std::string> allowed;
  const Route* headViaGet = nullptr;
  std::smatch headGroups;
  for (const auto& r : routes_) {
    std::smatch m;
    if (!std::regex_match(path, m, r.pattern)) continue;
    if (r.method == method) {
      out.handler = &r.handler;
      out.dispatch = r.dispatch;
      for (const auto& g : m) out.groups.push_back(g.str());
      return out;
    }
    if (method == "HEAD" && r.method == "GET" && !headViaGet) {
      headViaGet = &r;
      headGroups = m;
    }
    allowed.insert(r.method);
  }
  if (headViaGet) {
    out.handler = &headViaGet->handler;
    out.dispatch = headViaGet->dispatch;
    for (const auto& g : headGroups) out.groups.push_back(g.str());
    return out;
  }
  if (allowed.empty()) {
    out.status = 404;
    return out;
  }
  out.status = 405;
  allowed.insert("OPTIONS");
  if (allowed.contains("GET")) allowed.insert("HEAD");
  for (const auto& a : allowed) out.allow += (out.allow.empty() ? "" : ", ") + a;
  return out;
}

std::string Router::acceptPost(const std::string& path) const {
  for (const auto& r : routes_)
    if (r.method == "POST" && std::regex_match(path, r.pattern)) return r.accepts;
  return {};
}

bool Router::fallback(const Request& req, Response& res) const {
  return fallback_ && fallback_(req, res);
}

}  // namespace cs::http
