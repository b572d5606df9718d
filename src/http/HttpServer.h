#pragma once
// The HTTP transport: an event-driven server (Boost.Beast on Asio) that holds its limits against
// hostile clients — a deadline for every request head and body, body caps that chunked bodies
// obey too, connection caps in total and per client address, per-address rate limits on
// state-changing methods — and runs route handlers on a bounded worker pool, so a slow handler
// never holds an I/O thread and a slow client never holds a worker.
#include <chrono>
#include <memory>
#include <string>

#include "http/Router.h"

namespace cs::http {

struct ServerSettings {
  std::string host = "127.0.0.1";
  int port = 8889;
  unsigned ioThreads = 2;
  unsigned workerThreads = 8;
  size_t workerQueue = 64;  // requests waiting for a worker; past it 503 + Retry-After
  size_t maxHeaderBytes = 16 * 1024;
  size_t maxBodyBytes = 128 * 1024;  // MediaMTX's cap for SDP; a real offer is a few KiB
  // From the moment a connection is ready for a request (new, or after a response) until the
  // request head is complete. Also the idle keep-alive timeout.
  std::chrono::milliseconds headerTimeout{10'000};
  std::chrono::milliseconds bodyTimeout{20'000};
  // Upload routes (Router::upload): where their bodies are streamed, and how long one may take.
  std::string uploadDirectory;  // empty: the system's temporary directory
  std::chrono::milliseconds uploadTimeout{300'000};
  unsigned maxConnections = 4096;
  unsigned maxConnectionsPerAddress = 256;
  double ratePerSecond = 20;  // POST/PATCH/PUT/DELETE per client address; 0: off
  double rateBurst = 100;
  std::string tlsCert, tlsKey;  // PEM files; both set: HTTPS only
  // Server-sent-events responses (http/EventStream.h): a comment this often keeps idle proxies
  // from closing them; at most this many events wait for a slow reader (oldest dropped).
  std::chrono::milliseconds eventStreamHeartbeat{15'000};
  size_t eventStreamQueue = 64;
};

class Server {
 public:
  Server(ServerSettings settings, Router router);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds now (so a busy port fails start-up), then serves on background threads.
  // Throws std::runtime_error when the address cannot be bound or the TLS files cannot be read.
  void start();
  void stop();
  int port() const;
  unsigned openConnections() const;

  class Impl;  // public only so the connection classes in HttpServer.cpp can name it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace cs::http
