#pragma once
#include <memory>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace cs {

class StreamRegistry;
class IceServerProvider;
class ByocService;

// The HTTP front door: routes, CORS, JSON errors, body limits, the browser UI.
class HttpServer {
 public:
  // With `byoc`, the BYOC worker's job and session routes are served too.
  HttpServer(StreamRegistry& registry, IceServerProvider& iceServers, const std::string& webDir,
             ByocService* byoc = nullptr);
  ~HttpServer();

  // Binds now (so a busy port fails start-up), then serves on a background thread.
  // Throws std::runtime_error when the address cannot be bound.
  void start(const std::string& host, int port);
  void stop();

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace cs
