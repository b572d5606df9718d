#include "http/HttpServer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include "http/ConnectionLimiter.h"
#include "http/Cors.h"
#include "http/ErrorResponse.h"
#include "http/EventStream.h"
#include "http/FileRangeBody.h"
#include "http/RateLimiter.h"
#include "http/RequestPreparation.h"
#include "http/ResponseCounts.h"
#include "util/LogEscape.h"
#include "util/RandomId.h"
#include "util/RateLimitedLog.h"
#include "util/WorkerPool.h"

namespace cs::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;

// Sent to a connection past a connection cap, before closing it: a client learns why instead
// of seeing a reset (RFC 9110 §15.6.4).
constexpr std::string_view kBusy =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 5\r\n"
    "Connection: close\r\nContent-Length: 72\r\n\r\n"
    "{\"error\":\"too many connections from this address\",\"status_code\":503}\n   ";
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

bool changesState(std::string_view method) {
  return method == "POST" || method == "PATCH" || method == "PUT" || method == "DELETE";
}

const char* reasonFor(int status) {
  switch (status) {
    case 400:
      return "bad request";
    case 404:
      return "not found";
    case 405:
      return "method not allowed";
    case 408:
      return "request timed out";
    case 413:
      return "request body too large";
    case 429:
      return "too many requests";
    case 431:
      return "request header fields too large";
    case 503:
      return "server busy";
    default:
      return "error";
  }
}

// What every answer gets on its way out: CORS headers, and a JSON body for an error that has none.
void finalize(Response& res) {
  applyCors(res);
  if (res.status >= 400 && res.body.empty()) writeError(res, res.status, reasonFor(res.status));
}

}  // namespace

class Server::Impl {
 public:
  Impl(ServerSettings settings, Router router)
      : settings_(std::move(settings)),
        router_(std::move(router)),
        connections_(settings_.maxConnections, settings_.maxConnectionsPerAddress),
        rate_(settings_.ratePerSecond, settings_.rateBurst),
        workers_("cs:http-work", settings_.workerThreads, settings_.workerQueue) {}

  ~Impl() { stop(); }

  void start();
  void stop();
  int port() const { return boundPort_; }
  unsigned openConnections() const { return connections_.open(); }

  // Runs one complete request through CORS, rate limits, routing and a handler; `done` gets the
  // response on the connection's executor.
  template <typename Done>
  void handle(Request req, Done done);

  const ServerSettings& settings() const { return settings_; }
  const Router& router() const { return router_; }
  ConnectionLimiter& connections() { return connections_; }
  ssl::context* tls() { return tls_ ? &*tls_ : nullptr; }
  // A new server-sent-events stream, known to stop(), which detaches every open one before the
  // io_context goes (a route may hold one and send on it from any thread).
  std::shared_ptr<EventStream> openEventStream();

 private:
  void accept();
  void onAccept(beast::error_code ec, tcp::socket socket);
  static void invoke(const Handler& h, const Request& req, Response& res);

  const ServerSettings settings_;
  const Router router_;
  ConnectionLimiter connections_;
  RateLimiter rate_;
  // Outlives the io_context: connections destroyed with it may still hold TLS streams.
  std::optional<ssl::context> tls_;
  // Declared after what connections reach through `this`, so a connection destroyed with the
  // io_context still finds it; declared before the worker pool, whose tasks post to it.
  net::io_context ioc_{static_cast<int>(settings_.ioThreads)};
  tcp::acceptor acceptor_{ioc_};
  net::steady_timer acceptRetry_{ioc_};
  std::vector<std::thread> ioThreads_;
  WorkerPool workers_;
  int boundPort_ = 0;
  bool stopped_ = false;
  LogLimiter acceptLog_{std::chrono::seconds(10)};
  std::mutex eventStreamsMu_;
  std::vector<std::weak_ptr<EventStream>> eventStreams_;
  bool eventStreamsStopped_ = false;
};

namespace {

// One client connection. Stream is beast::tcp_stream or beast::ssl_stream<beast::tcp_stream>.
// All its handlers run on its own strand; the worker pool hands the response back through it.
template <typename Stream>
class Connection : public std::enable_shared_from_this<Connection<Stream>> {
 public:
  Connection(Server::Impl& server, Stream stream, std::string address,
             std::unique_ptr<ConnectionLimiter::Slot> slot)
      : server_(server),
        stream_(std::move(stream)),
        address_(std::move(address)),
        slot_(std::move(slot)) {}
  ~Connection() {
    if (events_) events_->detach();
  }

  void run() {
    auto self = this->shared_from_this();
    net::dispatch(stream_.get_executor(), [self] { self->begin(); });
  }

 private:
  static constexpr bool kSecure = !std::is_same_v<Stream, beast::tcp_stream>;

  auto& lowest() { return beast::get_lowest_layer(stream_); }
  std::string tooLarge() const { return tooLarge(limits().maxBodyBytes); }
  static std::string tooLarge(uint64_t cap) {
    return "request body larger than " +
           (cap % 1024 == 0 ? std::to_string(cap / 1024) + " KiB" : std::to_string(cap) + " bytes");
  }
  const ServerSettings& limits() const { return server_.settings(); }

  void begin() {
    if constexpr (kSecure) {
      lowest().expires_after(limits().headerTimeout);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return;  // not TLS, or gave up: nothing to answer
                                self->readHead();
                              });
    } else {
      readHead();
    }
  }

  void readHead() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(limits().maxHeaderBytes));
    // Until the route is known (onHead), the largest body any route takes.
    parser_->body_limit(
        std::max<uint64_t>(limits().maxBodyBytes, server_.router().maxUploadLimit()));
    // One deadline for the whole head, not per read: a client trickling a byte at a time
    // (slowloris) is cut off when it runs out, however steadily it sends.
    lowest().expires_after(limits().headerTimeout);
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->onHead(ec); });
  }

  void onHead(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == net::error::eof) return close();
    if (ec == beast::error::timeout) return close();  // idle keep-alive or a slow head
    if (ec == bhttp::error::header_limit) return fail(431, "request header fields too large");
    // RFC 9110 §8.6: a declared Content-Length past the cap is refused before any body is read
    // (the parser checks it against body_limit as the head completes).
    if (ec == bhttp::error::body_limit) return fail(413, tooLarge());
    if (ec) {
      if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category())
        return fail(400, std::string("malformed request: ") + ec.message());
      return close();
    }
    const auto& msg = parser_->get();
    // An upload route takes a body up to its own cap, into a file; every other one up to the
    // server's cap, in memory. Either cap holds against Content-Length before any body is read.
    const std::string_view target(msg.target().data(), msg.target().size());
    const std::string method(msg.method_string());
    const std::string path(target.substr(0, target.find('?')));
    const uint64_t uploadCap = server_.router().uploadLimit(method, path);
    // The route's own admission (its token) before a byte of the upload is read or stored.
    if (const auto* admit = uploadCap ? server_.router().uploadAdmission(method, path) : nullptr) {
      Request head;
      head.method = method;
      head.target = std::string(target);
      head.path = path;
      for (const auto& field : msg)
        head.headers.emplace(std::string(field.name_string()), std::string(field.value()));
      head.remoteAddress = address_;
      head.secure = kSecure;
      try {
        (*admit)(head);
      } catch (const ControlError& e) {
        keepAlive_ = false;  // the body was not read: the connection cannot carry another request
        Response res;
        writeError(res, e);
        finalize(res);
        return write(std::move(res));
      }
    }
    const uint64_t cap = uploadCap ? uploadCap : limits().maxBodyBytes;
    if (const auto declared = parser_->content_length(); declared && *declared > cap)
      return fail(413, tooLarge(cap));
    // Read before startUpload(), which moves the message into another parser.
    const bool expectContinue = beast::iequals(msg[bhttp::field::expect], "100-continue");
    // A small declared body stays in memory even on an upload route (a job without a clip is a
    // few KiB): only large or chunked bodies go to a file.
    const auto declared = parser_->content_length();
    if (!uploadCap || (declared && *declared <= limits().maxBodyBytes)) {
      parser_->body_limit(cap);
    } else if (!startUpload(cap)) {
      return fail(500, "cannot store the upload");
    }
    // RFC 9110 §10.1.1: a client that waits for 100 before sending its body gets it.
    if (expectContinue) {
      net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                       [self = this->shared_from_this()](beast::error_code e, size_t) {
                         if (e) return self->close();
                         self->readBody();
                       });
      return;
    }
    readBody();
  }

  // Switches the parser to a file body (Beast converts a parser whose body has not begun).
  bool startUpload(uint64_t cap) {
    namespace fs = std::filesystem;
    std::error_code fsErr;
    const fs::path dir = limits().uploadDirectory.empty() ? fs::temp_directory_path(fsErr)
                                                          : fs::path(limits().uploadDirectory);
    auto file = std::make_shared<BodyFile>(dir / ("upload-" + newRandomId() + ".part"));
    fileParser_.emplace(std::move(*parser_));
    parser_.reset();
    fileParser_->body_limit(cap);
    beast::error_code ec;
    fileParser_->get().body().open(file->path.c_str(), beast::file_mode::write_new, ec);
    if (ec) {
      CS_LOG_LIMITED(spdlog::level::err, "http: cannot create {}: {}", file->path.string(),
                     ec.message());
      return false;
    }
    upload_ = std::move(file);
    uploadCap_ = cap;
    return true;
  }

  void readBody() {
    if (fileParser_) {
      lowest().expires_after(limits().uploadTimeout);
      bhttp::async_read(
          stream_, buffer_, *fileParser_,
          [self = this->shared_from_this()](beast::error_code ec, size_t) { self->onBody(ec); });
      return;
    }
    lowest().expires_after(limits().bodyTimeout);
    bhttp::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->onBody(ec); });
  }

  void onBody(beast::error_code ec) {
    // A partial upload is removed before the refusal is sent.
    if (ec) upload_.reset();
    // The cap holds for chunked bodies too: Beast counts decoded body bytes against body_limit.
    if (ec == bhttp::error::body_limit)
      return fail(413, fileParser_ ? tooLarge(uploadCap_) : tooLarge());
    if (ec == beast::error::timeout) return fail(408, "request body not received in time");
    if (ec == bhttp::error::end_of_stream || ec == net::error::eof) return close();
    // Writing the upload's file failed (a full disk): the server's fault, not the request's.
    if (ec && fileParser_ &&
        ec.category() != bhttp::make_error_code(bhttp::error::bad_target).category())
      return fail(500, "cannot store the upload: " + ec.message());
    if (ec) return fail(400, std::string("malformed request: ") + ec.message());
    lowest().expires_never();  // the handler's time is the server's, not the client's

    Request req;
    if (fileParser_) {
      keepAlive_ = fileParser_->get().keep_alive();
      auto msg = fileParser_->release();
      fileParser_.reset();
      beast::error_code closeErr;
      upload_->size = msg.body().file().size(closeErr);
      msg.body().close();
      req =
          fromMessage(bhttp::request<bhttp::string_body>(std::move(msg.base())), address_, kSecure);
      req.bodyFile = std::move(upload_);
    } else {
      keepAlive_ = parser_->get().keep_alive();
      req = fromMessage(parser_->release(), address_, kSecure);
    }
    head_ = req.method == "HEAD";
    server_.handle(std::move(req), [self = this->shared_from_this()](Response res) {
      net::dispatch(self->stream_.get_executor(),
                    [self, res = std::move(res)]() mutable { self->write(std::move(res)); });
    });
  }

  // Answers and closes: after a framing error the rest of the stream cannot be trusted.
  void fail(int status, const std::string& why) {
    keepAlive_ = false;
    head_ = false;
    Response res;
    writeError(res, status, why);
    finalize(res);
    write(std::move(res));
  }

  void write(Response res) {
    if (res.eventStream && res.status == 200) {
      if (!head_) return startEvents(std::move(res));
      res.setHeader("Content-Type", "text/event-stream");
      res.setHeader("Cache-Control", "no-cache");
    }
    const bool fromFile = res.file && (res.status == 200 || res.status == 206);
    if (fromFile && !head_) return writeFile(std::move(res));
    auto out = std::make_shared<bhttp::response<bhttp::string_body>>();
    out->version(11);
    out->result(static_cast<unsigned>(res.status));
    responseCounts().count(res.status);
    for (const auto& [name, value] : res.headers) out->insert(name, value);
    out->keep_alive(keepAlive_);
    if (head_) {
      // RFC 9110 §9.3.2: HEAD gets GET's headers, Content-Length included, and no content.
      out->content_length(fromFile ? res.file->length : res.body.size());
    } else {
      out->body() = std::move(res.body);
      out->prepare_payload();
    }
    // A client that stops reading gets the same deadline as a slow head.
    lowest().expires_after(limits().headerTimeout);
    bhttp::async_write(stream_, *out,
                       [self = this->shared_from_this(), out](beast::error_code ec, size_t) {
                         if (ec || !self->keepAlive_) return self->close();
                         self->readHead();
                       });
  }

  // ---- A file's bytes (Response::file) ----
  // Read from disk 64 KiB at a time on this connection's I/O thread (page-cache reads of a local
  // file), each piece with the write deadline: a reader that stops reading is cut off, one that
  // reads slowly may take as long as the file needs.
  void writeFile(Response res) {
    const Response::FileContent f = *res.file;
    FileRangeBody::value_type body;
    beast::error_code ec;
    body.file.open(f.path.c_str(), beast::file_mode::scan, ec);
    if (!ec) body.file.seek(f.offset, ec);
    if (ec) {
      // Gone between the route's look and now (deleted, moved): nothing was sent yet.
      Response gone;
      writeError(gone, 404, "the file is gone");
      finalize(gone);
      return write(std::move(gone));
    }
    body.remain = f.length;
    auto out = std::make_shared<bhttp::response<FileRangeBody>>();
    out->version(11);
    out->result(static_cast<unsigned>(res.status));
    responseCounts().count(res.status);
    for (const auto& [name, value] : res.headers) out->insert(name, value);
    out->keep_alive(keepAlive_);
    out->body() = std::move(body);
    out->prepare_payload();
    sendFilePiece(out, std::make_shared<bhttp::response_serializer<FileRangeBody>>(*out));
  }

  void sendFilePiece(std::shared_ptr<bhttp::response<FileRangeBody>> out,
                     std::shared_ptr<bhttp::response_serializer<FileRangeBody>> serializer) {
    lowest().expires_after(limits().headerTimeout);
    bhttp::async_write_some(
        stream_, *serializer,
        [self = this->shared_from_this(), out, serializer](beast::error_code ec, size_t) {
          // A read error or a short file mid-answer: the length announced cannot be met, so the
          // connection is closed (the client sees a truncated body, never wrong bytes).
          if (ec) return self->close();
          if (!serializer->is_done()) return self->sendFilePiece(out, serializer);
          if (!self->keepAlive_) return self->close();
          self->readHead();
        });
  }

  void close() {
    beast::error_code ignored;
    if constexpr (kSecure) {
      lowest().expires_after(std::chrono::seconds(2));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        beast::error_code e;
        self->lowest().socket().shutdown(tcp::socket::shutdown_both, e);
      });
    } else {
      lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
  }

  // ---- A server-sent-events response (Response::eventStream, http/EventStream.h) ----
  // Its body lasts until the stream is closed, so it is delimited by closing the connection
  // (RFC 9112 §6.3 ¶8): no Content-Length, no chunking, Connection: close. The connection keeps
  // its slot, so it counts toward the connection caps. The request deadlines stay behind: a
  // healthy stream may be idle for hours. Each write has the write deadline (a reader that stops
  // reading is cut off, and its events meanwhile wait in a bounded queue), a pending read
  // notices the client leaving, and a comment every eventStreamHeartbeat keeps proxies from
  // timing the connection out.
  void startEvents(Response res) {
    auto head = std::make_shared<bhttp::response<bhttp::empty_body>>();
    head->version(11);
    head->result(bhttp::status::ok);
    for (const auto& [name, value] : res.headers) head->insert(name, value);
    head->set(bhttp::field::content_type, "text/event-stream");
    head->set(bhttp::field::cache_control, "no-cache");
    head->set("X-Accel-Buffering", "no");  // nginx: pass each event on at once
    head->keep_alive(false);
    auto serializer = std::make_shared<bhttp::response_serializer<bhttp::empty_body>>(*head);
    events_ = server_.openEventStream();
    // The waker only posts: it runs under the stream's lock, on whatever thread sent.
    events_->bind([weak = this->weak_from_this(), ex = stream_.get_executor()] {
      net::post(ex, [weak] {
        if (auto self = weak.lock()) self->pumpEvents();
      });
    });
    heartbeat_.emplace(stream_.get_executor());
    // The read starts without a deadline; the one set next applies to the write only (a
    // tcp_stream deadline set while a read is pending leaves that read alone).
    lowest().expires_never();
    readWhileStreaming();
    lowest().expires_after(limits().headerTimeout);
    writing_ = true;
    bhttp::async_write_header(
        stream_, *serializer,
        [self = this->shared_from_this(), head, serializer](beast::error_code ec, size_t) {
          self->writing_ = false;
          if (ec) return self->endEvents();
          self->beat();
          self->pumpEvents();
        });
    try {
      res.eventStream(events_);  // what it sends at once waits until the head is out
    } catch (const std::exception& e) {
      spdlog::error("HTTP: an event stream failed to start: {}", e.what());
      events_->close();
    }
  }

  void pumpEvents() {
    if (writing_ || eventsEnded_ || !events_) return;
    bool end = false;
    std::string batch = events_->take(end);
    if (batch.empty()) {
      if (end) endEvents();
      return;  // take() left the stream waiting: the next send() wakes this
    }
    auto buf = std::make_shared<std::string>(std::move(batch));
    writing_ = true;
    lowest().expires_after(limits().headerTimeout);
    net::async_write(stream_, net::buffer(*buf),
                     [self = this->shared_from_this(), buf](beast::error_code ec, size_t) {
                       self->writing_ = false;
                       if (ec) return self->endEvents();
                       self->pumpEvents();
                     });
  }

  // Nothing more is expected from the client: end of stream or an error ends the response, and
  // whatever it sends is discarded, up to a bound.
  void readWhileStreaming() {
    stream_.async_read_some(net::buffer(discard_),
                            [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                              self->discarded_ += n;
                              if (ec || self->discarded_ > kMaxDiscardedBytes)
                                return self->endEvents();
                              self->readWhileStreaming();
                            });
  }

  void beat() {
    heartbeat_->expires_after(limits().eventStreamHeartbeat);
    heartbeat_->async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (ec || self->eventsEnded_) return;
      self->events_->comment("keepalive");
      self->beat();
    });
  }

  // The response is over (closed by its route, the client gone, a write past its deadline):
  // close the socket, which ends the pending read, and with it the connection.
  void endEvents() {
    if (eventsEnded_) return;
    eventsEnded_ = true;
    events_->detach();
    if (heartbeat_) heartbeat_->cancel();
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close();
  }

  static constexpr size_t kMaxDiscardedBytes = 64 * 1024;

  Server::Impl& server_;
  Stream stream_;
  beast::flat_buffer buffer_;
  const std::string address_;
  std::unique_ptr<ConnectionLimiter::Slot> slot_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  // An upload route's body, streamed to upload_ (removed unless the request reaches a handler).
  std::optional<bhttp::request_parser<bhttp::file_body>> fileParser_;
  std::shared_ptr<BodyFile> upload_;
  uint64_t uploadCap_ = 0;
  bool keepAlive_ = true;
  bool head_ = false;
  // Server-sent events only.
  std::shared_ptr<EventStream> events_;
  std::optional<net::steady_timer> heartbeat_;
  std::array<char, 512> discard_{};
  size_t discarded_ = 0;
  bool writing_ = false;
  bool eventsEnded_ = false;
};

// Tells a connection past a cap why it is closed, then closes it, without reading from it.
void refuse(tcp::socket socket) {
  responseCounts().count(503);
  auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
  stream->expires_after(std::chrono::seconds(2));
  net::async_write(*stream, net::buffer(kBusy.data(), kBusy.size()),
                   [stream](beast::error_code, size_t) {
                     beast::error_code e;
                     stream->socket().shutdown(tcp::socket::shutdown_both, e);
                   });
}

}  // namespace

void Server::Impl::start() {
  if (!settings_.tlsCert.empty() || !settings_.tlsKey.empty()) {
    tls_.emplace(ssl::context::tls_server);
    // TLS 1.2 and later only (RFC 8996 deprecates 1.0 and 1.1).
    tls_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                      ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                      ssl::context::single_dh_use);
    try {
      tls_->use_certificate_chain_file(settings_.tlsCert);
      tls_->use_private_key_file(settings_.tlsKey, ssl::context::pem);
    } catch (const std::exception& e) {
      throw std::runtime_error("cannot load --tls-cert/--tls-key: " + std::string(e.what()));
    }
  }
  beast::error_code ec;
  const auto address = net::ip::make_address(settings_.host, ec);
  if (ec) throw std::runtime_error("cannot listen on " + settings_.host + ": not an IP address");
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(settings_.port));
  acceptor_.open(endpoint.protocol(), ec);
  // SO_REUSEADDR, never SO_REUSEPORT: a second server on the same port must fail, not share it.
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error("cannot listen on " + settings_.host + ":" +
                             std::to_string(settings_.port) + " (" + ec.message() + ")");
  boundPort_ = acceptor_.local_endpoint().port();
  accept();
  for (unsigned i = 0; i < std::max(1u, settings_.ioThreads); ++i) {
    ioThreads_.emplace_back([this] { ioc_.run(); });
    pthread_setname_np(ioThreads_.back().native_handle(), "cs:http-io");
  }
}

void Server::Impl::stop() {
  if (stopped_) return;
  stopped_ = true;
  {
    std::lock_guard lock(eventStreamsMu_);
    eventStreamsStopped_ = true;
    for (auto& w : eventStreams_)
      if (auto s = w.lock()) s->detach();
    eventStreams_.clear();
  }
  net::post(ioc_, [this] {
    beast::error_code ec;
    acceptor_.close(ec);
    acceptRetry_.cancel();
  });
  ioc_.stop();
  for (auto& t : ioThreads_)
    if (t.joinable()) t.join();
  // Handlers still running finish and post to the stopped io_context; their connections are
  // released when it is destroyed.
  workers_.stop();
}

std::shared_ptr<EventStream> Server::Impl::openEventStream() {
  auto s = std::make_shared<EventStream>(settings_.eventStreamQueue);
  std::lock_guard lock(eventStreamsMu_);
  if (eventStreamsStopped_) {
    s->detach();
    return s;
  }
  std::erase_if(eventStreams_, [](const auto& w) { return w.expired(); });
  eventStreams_.push_back(s);
  return s;
}

void Server::Impl::accept() {
  acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket s) {
    onAccept(ec, std::move(s));
  });
}

void Server::Impl::onAccept(beast::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted) return;
  if (ec) {
    // EMFILE and friends: back off instead of spinning on a listen queue we cannot drain.
    if (acceptLog_.admit()) spdlog::warn("HTTP: accept failed: {}", ec.message());
    acceptRetry_.expires_after(std::chrono::milliseconds(100));
    acceptRetry_.async_wait([this](beast::error_code e) {
      if (!e) accept();
    });
    return;
  }
  beast::error_code e;
  const auto remote = socket.remote_endpoint(e);
  if (e) return accept();
  std::string address = remote.address().to_string();
  ConnectionLimiter::Refusal why;
  auto slot = connections_.acquire(address, why);
  if (!slot) {
    if (acceptLog_.admit())
      spdlog::warn("HTTP: refused a connection from {}: {}", address,
                   why == ConnectionLimiter::Refusal::Total ? "--max-connections reached"
                                                            : "--max-connections-per-ip reached");
    refuse(std::move(socket));
    return accept();
  }
  socket.set_option(tcp::no_delay(true), e);
  if (tls_) {
    std::make_shared<Connection<beast::ssl_stream<beast::tcp_stream>>>(
        *this, beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *tls_),
        std::move(address), std::move(slot))
        ->run();
  } else {
    std::make_shared<Connection<beast::tcp_stream>>(*this, beast::tcp_stream(std::move(socket)),
                                                    std::move(address), std::move(slot))
        ->run();
  }
  accept();
}

void Server::Impl::invoke(const Handler& h, const Request& req, Response& res) {
  try {
    h(req, res);
  } catch (const ControlError& e) {
    writeError(res, e);
  } catch (const WorkflowError& e) {
    writeError(res, e);
  } catch (const std::exception& e) {
    spdlog::error("HTTP: {} {} failed: {}", req.method, logSafe(req.path), e.what());
    writeError(res, 500, "internal error");
  } catch (...) {
    spdlog::error("HTTP: {} {} failed", req.method, logSafe(req.path));
    writeError(res, 500, "internal error");
  }
}

template <typename Done>
void Server::Impl::handle(Request req, Done done) {
  Response res;
  const auto finish = [&](Response& r) {
    finalize(r);
    done(std::move(r));
  };
  if (std::string why; !prepareRequest(req, why)) {
    writeError(res, 400, why);
    return finish(res);
  }
  if (req.method == "OPTIONS") {  // CORS preflight: never rate-limited nor authenticated
    answerPreflight(res, router_.acceptPost(req.path));
    return finish(res);
  }
  if (int retryAfter = 0; changesState(req.method) && !rate_.allow(req.remoteAddress, retryAfter)) {
    writeError(res, 429, "too many requests from this address; retry later");
    res.setHeader("Retry-After", std::to_string(retryAfter));
    return finish(res);
  }
  auto match = router_.find(req.method, req.path);
  if (!match.handler) {
    if ((req.method == "GET" || req.method == "HEAD") && router_.fallback(req, res))
      return finish(res);
    if (match.status == 405) res.setHeader("Allow", match.allow);
    writeError(res, match.status, reasonFor(match.status));
    return finish(res);
  }
  req.matches = std::move(match.groups);
  if (match.dispatch == Dispatch::Inline) {
    invoke(*match.handler, req, res);
    return finish(res);
  }
  const Handler* handler = match.handler;
  auto task = [handler, req = std::move(req), done]() mutable {
    Response r;
    invoke(*handler, req, r);
    finalize(r);
    done(std::move(r));
  };
  if (!workers_.tryPost(std::move(task))) {
    writeError(res, 503, "every request worker is busy; retry later");
    res.setHeader("Retry-After", "1");
    return finish(res);
  }
}

Server::Server(ServerSettings settings, Router router)
    : impl_(std::make_unique<Impl>(std::move(settings), std::move(router))) {}
Server::~Server() = default;
void Server::start() {
  impl_->start();
}
void Server::stop() {
  impl_->stop();
}
int Server::port() const {
  return impl_->port();
}
unsigned Server::openConnections() const {
  return impl_->openConnections();
}

}  // namespace cs::http
