// The transport against raw sockets on 127.0.0.1: what a hostile or broken client can send.
#include "http/HttpServer.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "util/ControlError.h"

namespace cs::http {
namespace {

using namespace std::chrono_literals;

// A blocking TCP client with a receive deadline, optionally from another loopback address.
class RawClient {
 public:
  explicit RawClient(int port, const char* from = nullptr) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    if (from) {
      sockaddr_in src{};
      src.sin_family = AF_INET;
      inet_pton(AF_INET, from, &src.sin_addr);
      bind(fd_, reinterpret_cast<sockaddr*>(&src), sizeof src);
    }
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~RawClient() { close(fd_); }
  bool connected() const { return connected_; }

  bool send(std::string_view data) {
    return ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
  }

  // Reads one response (head + Content-Length body), or up to EOF; "" on timeout.
  // headOnly: the answer to a HEAD, whose Content-Length announces a body that never comes.
  std::string response(std::chrono::milliseconds timeout = 5s, bool headOnly = false) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string got = std::move(pending_);
    pending_.clear();
    for (;;) {
      const auto head = got.find("\r\n\r\n");
      if (head != std::string::npos) {
        size_t len = 0;
        const auto cl = got.find("Content-Length: ");
        if (cl != std::string::npos && cl < head && !headOnly)
          len = std::stoul(got.substr(cl + 16));
        if (got.size() >= head + 4 + len) {
          const std::string one = got.substr(0, head + 4 + len);
          pending_ = got.substr(head + 4 + len);
          return one;
        }
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left <= 0ms) return "";
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return "";
      char buf[4096];
      const ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return got;
      got.append(buf, static_cast<size_t>(n));
    }
  }

  // True when the server closed the connection within `timeout`.
  bool closedWithin(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left <= 0ms) return false;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
      char buf[4096];
      const ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return true;
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string pending_;  // bytes of the next response read with this one
};

int statusOf(const std::string& response) {
  return response.size() > 12 ? std::stoi(response.substr(9, 3)) : 0;
}

struct TestServer {
  explicit TestServer(ServerSettings s = {}, std::function<void(Router&)> extra = {}) {
    s.host = "127.0.0.1";
    s.port = 0;
    Router r;
    r.get(
        "/health", [](const Request&, Response& res) { res.setContent("OK", "text/plain"); },
        Dispatch::Inline);
    r.post("/echo",
           [](const Request& req, Response& res) { res.setContent(req.body, "text/plain"); });
    r.post("/fail",
           [](const Request&, Response&) { throw ControlError(ErrorKind::Conflict, "taken"); });
    if (extra) extra(r);
    server = std::make_unique<Server>(s, std::move(r));
    server->start();
    port = server->port();
  }
  std::unique_ptr<Server> server;
  int port = 0;
};

std::string get(int port, const std::string& path) {
  RawClient c(port);
  c.send("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  return c.response();
}

TEST(HttpServer, AnswersAndAddsCors) {
  TestServer t;
  const auto r = get(t.port, "/health");
  EXPECT_EQ(statusOf(r), 200);
  EXPECT_NE(r.find("Access-Control-Allow-Origin: *"), std::string::npos);
  EXPECT_TRUE(r.ends_with("OK"));
}

TEST(HttpServer, ControlErrorsBecomeJson) {
  TestServer t;
  RawClient c(t.port);
  c.send("POST /fail HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  const auto r = c.response();
  EXPECT_EQ(statusOf(r), 409);
  EXPECT_NE(r.find("\"status_code\":409"), std::string::npos);
}

TEST(HttpServer, SlowHeadIsCutAtTheDeadline) {
  ServerSettings s;
  s.headerTimeout = 300ms;
  TestServer t(s);
  RawClient slow(t.port);
  // A slowloris client: a byte at a time, never finishing the head.
  for (char ch : std::string("GET /hea")) {
    slow.send(std::string(1, ch));
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(slow.closedWithin(3s));
}

TEST(HttpServer, SlowClientsDoNotBlockOthers) {
  ServerSettings s;
  s.headerTimeout = 5s;
  TestServer t(s);
  std::vector<std::unique_ptr<RawClient>> slow;
  for (int i = 0; i < 50; ++i) {
    slow.push_back(std::make_unique<RawClient>(t.port));
    slow.back()->send("GET /health HTTP/1.1\r\nHost:");
  }
  EXPECT_EQ(statusOf(get(t.port, "/health")), 200);
}

TEST(HttpServer, DeclaredBodyPastTheCapIs413WithoutReadingIt) {
  ServerSettings s;
  s.maxBodyBytes = 1024;
  TestServer t(s);
  RawClient c(t.port);
  c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n");
  EXPECT_EQ(statusOf(c.response()), 413);
}

TEST(HttpServer, ChunkedBodyIsHeldToTheCapToo) {
  ServerSettings s;
  s.maxBodyBytes = 1024;
  TestServer t(s);
  RawClient c(t.port);
  c.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
  const std::string chunk = "400\r\n" + std::string(1024, 'a') + "\r\n";
  c.send(chunk);
  c.send(chunk);
  EXPECT_EQ(statusOf(c.response()), 413);
}

TEST(HttpServer, ChunkedBodyWithinTheCapArrivesWhole) {
  TestServer t;
  RawClient c(t.port);
  c.send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  const auto r = c.response();
  EXPECT_EQ(statusOf(r), 200);
  EXPECT_TRUE(r.ends_with("abcde"));
}

TEST(HttpServer, PostWithoutLengthHasAnEmptyBodyAtOnce) {
  TestServer t;
  RawClient c(t.port);
  const auto start = std::chrono::steady_clock::now();
  c.send("POST /echo HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(statusOf(c.response()), 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST(HttpServer, ExpectContinueGets100) {
  TestServer t;
  RawClient c(t.port);
  c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(statusOf(c.response()), 100);
  c.send("hi");
  const auto r = c.response();
  EXPECT_EQ(statusOf(r), 200);
  EXPECT_TRUE(r.ends_with("hi"));
}

TEST(HttpServer, InvalidUtf8InUrlOrTextBodyIs400) {
  TestServer t;
  EXPECT_EQ(statusOf(get(t.port, "/health?x=%ff")), 400);
  RawClient c(t.port);
  c.send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 3\r\n\r\n\"\xff\"");
  const auto r = c.response();
  EXPECT_EQ(statusOf(r), 400);
  EXPECT_NE(r.find("UTF-8"), std::string::npos);
}

TEST(HttpServer, OversizedHeadIs431) {
  ServerSettings s;
  s.maxHeaderBytes = 512;
  TestServer t(s);
  RawClient c(t.port);
  c.send("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n");
  EXPECT_EQ(statusOf(c.response()), 431);
}

TEST(HttpServer, HeadHasTheLengthAndNoBody) {
  TestServer t;
  RawClient c(t.port);
  c.send("HEAD /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto head = c.response(5s, /*headOnly=*/true);
  EXPECT_EQ(statusOf(head), 200);
  EXPECT_NE(head.find("Content-Length: 2"), std::string::npos);
  EXPECT_TRUE(head.ends_with("\r\n\r\n"));
  // The body was not sent: the next response starts right after the head's.
  EXPECT_EQ(statusOf(c.response()), 200);
}

TEST(HttpServer, UnknownPathAndMethod) {
  TestServer t;
  EXPECT_EQ(statusOf(get(t.port, "/nothing")), 404);
  const auto r = get(t.port, "/echo");
  EXPECT_EQ(statusOf(r), 405);
  EXPECT_NE(r.find("Allow: OPTIONS, POST"), std::string::npos);
}

TEST(HttpServer, StateChangingRequestsAreRateLimitedPerAddress) {
  ServerSettings s;
  s.ratePerSecond = 0.5;
  s.rateBurst = 3;
  TestServer t(s);
  RawClient c(t.port);
  for (int i = 0; i < 3; ++i) {
    c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(statusOf(c.response()), 200);
  }
  c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  const auto r = c.response();
  EXPECT_EQ(statusOf(r), 429);
  EXPECT_NE(r.find("Retry-After: "), std::string::npos);
  EXPECT_EQ(statusOf(get(t.port, "/health")), 200) << "reads are not rate-limited";
  RawClient other(t.port, "127.0.0.2");
  other.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(statusOf(other.response()), 200) << "another address has its own budget";
}

TEST(HttpServer, ConnectionsPastThePerAddressCapGet503) {
  ServerSettings s;
  s.maxConnectionsPerAddress = 3;
  TestServer t(s);
  std::vector<std::unique_ptr<RawClient>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<RawClient>(t.port));
    held.back()->send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_EQ(statusOf(held.back()->response()), 200);  // accepted and counted
  }
  RawClient extra(t.port);
  const auto r = extra.response();
  EXPECT_EQ(statusOf(r), 503);
  RawClient elsewhere(t.port, "127.0.0.3");
  elsewhere.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(statusOf(elsewhere.response()), 200);
  held.pop_back();
  // The slot comes back once the server has seen the close.
  bool answered = false;
  for (int i = 0; i < 50 && !answered; ++i) {
    RawClient again(t.port);
    again.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    answered = statusOf(again.response()) == 200;
    if (!answered) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(answered);
}

TEST(HttpServer, BusyWorkersAnswer503ButHealthStillAnswers) {
  ServerSettings s;
  s.workerThreads = 1;
  s.workerQueue = 1;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> entered{0};
  TestServer t(s, [&](Router& r) {
    r.post("/block", [released, &entered](const Request&, Response&) {
      ++entered;
      released.wait();
    });
  });
  RawClient a(t.port), b(t.port), c(t.port);
  a.send("POST /block HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  while (entered == 0) std::this_thread::sleep_for(5ms);
  b.send("POST /block HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");  // queued
  std::this_thread::sleep_for(50ms);
  c.send("POST /block HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  const auto r = c.response();
  EXPECT_EQ(statusOf(r), 503);
  EXPECT_NE(r.find("Retry-After: "), std::string::npos);
  EXPECT_EQ(statusOf(get(t.port, "/health")), 200);
  release.set_value();
  EXPECT_EQ(statusOf(a.response()), 200);
  EXPECT_EQ(statusOf(b.response()), 200);
}

}  // namespace
}  // namespace cs::http
