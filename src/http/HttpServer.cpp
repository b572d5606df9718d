#include "http/HttpServer.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <regex>

#include "byoc/ByocRoutes.h"
#include "http/ErrorResponse.h"
#include "http/WhipWhepResource.h"
#include "http/WorkflowResource.h"

namespace cs {
namespace {

// MediaMTX's limit for SDP bodies; a real offer is a few KiB.
constexpr size_t kMaxBody = 128 * 1024;

const char* reasonFor(int status) {
  switch (status) {
    case 400: return "bad request";
    case 404: return "not found";
    case 405: return "method not allowed";
    case 413: return "request body larger than 128 KiB";
    default: return "error";
  }
}

}  // namespace

HttpServer::HttpServer(StreamRegistry& registry, IceServerProvider& ice, const std::string& webDir,
                       ByocService* byoc)
    : server_(std::make_unique<httplib::Server>()) {
  auto& s = *server_;
  s.set_payload_max_length(kMaxBody);
  // cpp-httplib sets SO_REUSEPORT by default: a second server on the same port would then start
  // "successfully" and take half the requests. Reuse the address only.
  s.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });

  // Browsers need these to read Location/Link from a cross-origin WHIP/WHEP answer (Fetch).
  s.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    res.set_header("Access-Control-Allow-Origin", "*");
    res.set_header("Access-Control-Expose-Headers", "Location, ETag, Link, Accept-Post, Retry-After");
  });
  static const std::regex kByocEndpoint("(?:/live)?/byoc/wh[ie]p/[^/]+");
  s.Options(".*", [](const httplib::Request& req, httplib::Response& res) {
    res.status = 204;
    res.set_header("Access-Control-Allow-Methods", "OPTIONS, GET, HEAD, POST, PATCH, DELETE");
    res.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type, If-Match");
    res.set_header("Access-Control-Max-Age", "600");
    // RFC 9725 §4.2: an OPTIONS on the endpoint advertises what POST takes.
    if (req.path.ends_with("/whip") || req.path.ends_with("/whep") ||
        std::regex_match(req.path, kByocEndpoint))
      res.set_header("Accept-Post", "application/sdp");
  });
  // Errors httplib produces itself (404 routing, 413 body limit, 400 parse) get our JSON body.
  s.set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        writeError(res, res.status, reasonFor(res.status));
        return httplib::Server::HandlerResponse::Handled;
      }));
  s.set_exception_handler([](const httplib::Request& req, httplib::Response& res,
                             std::exception_ptr ep) {
    std::string what = "internal error";
    try {
      std::rethrow_exception(ep);
    } catch (const ControlError& e) {
      writeError(res, e.kind(), e.what());
      return;
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    spdlog::error("HTTP: {} {} failed: {}", req.method, req.path, what);
    writeError(res, 500, what);
  });

  s.Get("(?:/live)?/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("OK", "text/plain");
  });
  registerWhipWhepRoutes(s, registry, ice);
  registerWorkflowRoutes(s, registry);
  if (byoc) registerByocRoutes(s, *byoc);
  if (!webDir.empty() && !s.set_mount_point("/", webDir))
    spdlog::warn("HTTP: browser UI directory '{}' not found; / will answer 404", webDir);
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start(const std::string& host, int port) {
  if (!server_->bind_to_port(host, port))
    throw std::runtime_error("cannot listen on " + host + ":" + std::to_string(port));
  thread_ = std::thread([this] { server_->listen_after_bind(); });
}

void HttpServer::stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace cs
