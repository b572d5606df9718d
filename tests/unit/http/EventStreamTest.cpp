// Server-sent-events responses (http/EventStream.h) through a real Server on 127.0.0.1, read by
// a raw socket: the head, events as they are sent, heartbeats past the request deadlines, the
// end of the response, a client that leaves, a reader that stops reading, the connection caps
// and server shutdown. Waits are for the expected bytes or state with a deadline.
#include "http/EventStream.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <thread>

#include "http/HttpServer.h"

namespace cs::http {
namespace {

using namespace std::chrono_literals;

// A blocking client that keeps everything it received.
class Client {
 public:
  explicit Client(int port, int receiveBuffer = 0) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    if (receiveBuffer > 0)
      setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receiveBuffer, sizeof receiveBuffer);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~Client() { closeNow(); }
  bool connected() const { return connected_; }
  void closeNow() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  bool send(std::string_view data) {
    return ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
  }
  // Reads until `needle` occurs `n` times in everything received, EOF, or the deadline.
  bool readUntil(std::string_view needle, size_t n = 1, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (occurrences(needle) < n) {
      if (eof_ || !readSome(deadline)) return false;
    }
    return true;
  }
  // True when the server closed the connection before the deadline.
  bool closedWithin(std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!eof_)
      if (!readSome(deadline)) return eof_;
    return true;
  }
  const std::string& received() const { return got_; }
  std::string head() const { return got_.substr(0, got_.find("\r\n\r\n") + 4); }
  size_t occurrences(std::string_view needle) const {
    size_t n = 0;
    for (size_t at = got_.find(needle); at != std::string::npos; at = got_.find(needle, at + 1))
      ++n;
    return n;
  }

 private:
  bool readSome(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= 0ms) return false;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[65536];
    const ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      eof_ = true;
      return true;
    }
    got_.append(buf, static_cast<size_t>(n));
    return true;
  }
  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  std::string got_;
};

// The streams the route handed out, for the test to send on.
struct Opened {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::shared_ptr<EventStream>> streams;
  std::shared_ptr<EventStream> wait(size_t index = 0, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mu);
    if (!cv.wait_for(lock, timeout, [&] { return streams.size() > index; })) return nullptr;
    return streams[index];
  }
  size_t count() {
    std::lock_guard lock(mu);
    return streams.size();
  }
};

// Polls `done` until it holds or the deadline passes (for state the server changes on its own
// threads, with no notification to wait on).
template <typename Pred>
bool eventually(Pred done, std::chrono::milliseconds timeout = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

struct EventServer {
  explicit EventServer(ServerSettings s = {}) {
    s.host = "127.0.0.1";
    s.port = 0;
    Router r;
    r.get(
        "/health", [](const Request&, Response& res) { res.setContent("OK", "text/plain"); },
        Dispatch::Inline);
    r.get(
        "/events",
        [this](const Request&, Response& res) {
          res.eventStream = [this](std::shared_ptr<EventStream> s) {
            s->send("hello", "{}");
            std::lock_guard lock(opened.mu);
            opened.streams.push_back(std::move(s));
            opened.cv.notify_all();
          };
        },
        Dispatch::Inline);
    server = std::make_unique<Server>(s, std::move(r));
    server->start();
    port = server->port();
  }
  Opened opened;
  std::unique_ptr<Server> server;
  int port = 0;
};

constexpr std::string_view kGet = "GET /events HTTP/1.1\r\nHost: x\r\n\r\n";

TEST(EventStream, FramesEachEventOnOneLinePerField) {
  EventStream s(8);
  ASSERT_TRUE(s.send("viewercount", "{\"viewercount\":2}"));
  ASSERT_TRUE(s.send("odd\r\ntype", "a\nb\rc"));
  ASSERT_TRUE(s.comment("keepalive"));
  bool end = true;
  EXPECT_EQ(s.take(end),
            "event: viewercount\ndata: {\"viewercount\":2}\n\n"
            "event: odd  type\ndata: a b c\n\n"
            ": keepalive\n\n");
  EXPECT_FALSE(end);
  EXPECT_FALSE(s.send("big", std::string(EventStream::kMaxEventBytes, 'x')));
}

TEST(EventStream, ABehindReaderLosesTheOldestEventsNotTheNewest) {
  EventStream s(3);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(s.send("n", std::to_string(i)));
  EXPECT_EQ(s.dropped(), 2u);
  bool end = false;
  EXPECT_EQ(s.take(end), "event: n\ndata: 2\n\nevent: n\ndata: 3\n\nevent: n\ndata: 4\n\n");
}

TEST(EventStream, CloseEndsAfterWhatIsQueuedAndDetachDropsIt) {
  EventStream s(8);
  int wakes = 0;
  s.bind([&] { ++wakes; });
  bool end = false;
  EXPECT_EQ(s.take(end), "");  // the writer now waits
  EXPECT_FALSE(end);
  ASSERT_TRUE(s.send("a", "{}"));
  EXPECT_EQ(wakes, 1);
  ASSERT_TRUE(s.send("b", "{}"));
  EXPECT_EQ(wakes, 1);  // woken once until it takes again
  s.close();
  EXPECT_FALSE(s.send("c", "{}"));
  EXPECT_EQ(s.take(end), "event: a\ndata: {}\n\nevent: b\ndata: {}\n\n");
  EXPECT_FALSE(end);
  EXPECT_EQ(s.take(end), "");
  EXPECT_TRUE(end);

  EventStream d(8);
  ASSERT_TRUE(d.send("a", "{}"));
  d.detach();
  EXPECT_FALSE(d.isOpen());
  EXPECT_FALSE(d.send("b", "{}"));
  EXPECT_EQ(d.take(end), "");
  EXPECT_TRUE(end);
}

TEST(EventStream, TheServerWritesTheHeadThenEachEventAsItIsSent) {
  EventServer srv;
  Client c(srv.port);
  ASSERT_TRUE(c.send(kGet));
  ASSERT_TRUE(c.readUntil("event: hello\ndata: {}\n\n"));
  const std::string head = c.head();
  EXPECT_NE(head.find("HTTP/1.1 200 OK\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("Content-Type: text/event-stream\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("Cache-Control: no-cache\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("Connection: close\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("Access-Control-Allow-Origin: *\r\n"), std::string::npos) << head;
  // Delimited by the end of the connection (RFC 9112 §6.3).
  EXPECT_EQ(head.find("Content-Length"), std::string::npos) << head;
  EXPECT_EQ(head.find("Transfer-Encoding"), std::string::npos) << head;

  auto s = srv.opened.wait();
  ASSERT_TRUE(s);
  std::thread other([&] { s->send("viewercount", "{\"viewercount\":2}"); });
  other.join();
  ASSERT_TRUE(c.readUntil("event: viewercount\ndata: {\"viewercount\":2}\n\n"));
  s->send("last", "{}");
  s->close();
  ASSERT_TRUE(c.closedWithin());
  EXPECT_TRUE(c.received().ends_with("event: last\ndata: {}\n\n")) << c.received();
  EXPECT_TRUE(eventually([&] { return srv.server->openConnections() == 0; }));
}

TEST(EventStream, HeartbeatsKeepAnIdleStreamOpenPastTheRequestDeadlines) {
  ServerSettings settings;
  settings.headerTimeout = 100ms;
  settings.bodyTimeout = 100ms;
  settings.eventStreamHeartbeat = 20ms;
  EventServer srv(settings);
  Client c(srv.port);
  ASSERT_TRUE(c.send(kGet));
  // Twenty heartbeats 20 ms apart span four header deadlines: the stream outlived them.
  ASSERT_TRUE(c.readUntil(": keepalive\n\n", 20)) << c.received();
  auto s = srv.opened.wait();
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->isOpen());
  s->send("still", "{}");
  ASSERT_TRUE(c.readUntil("event: still\ndata: {}\n\n"));
}

TEST(EventStream, AClientThatLeavesEndsTheStreamAndGivesBackItsConnection) {
  EventServer srv;
  Client c(srv.port);
  ASSERT_TRUE(c.send(kGet));
  ASSERT_TRUE(c.readUntil("event: hello"));
  auto s = srv.opened.wait();
  ASSERT_TRUE(s);
  EXPECT_EQ(srv.server->openConnections(), 1u);
  c.closeNow();
  EXPECT_TRUE(eventually([&] { return !s->isOpen(); }));
  EXPECT_TRUE(eventually([&] { return srv.server->openConnections() == 0; }));
  EXPECT_FALSE(s->send("late", "{}"));
}

TEST(EventStream, AReaderThatStopsReadingNeverBlocksTheSenderAndIsCutOff) {
  ServerSettings settings;
  settings.headerTimeout = 200ms;  // the write deadline
  settings.eventStreamQueue = 8;
  EventServer srv(settings);
  Client c(srv.port, /*receiveBuffer=*/4096);
  ASSERT_TRUE(c.send(kGet));
  ASSERT_TRUE(c.readUntil("event: hello"));
  auto s = srv.opened.wait();
  ASSERT_TRUE(s);
  // The client reads nothing more. 32 MB of events cannot fit in the socket buffers: writes
  // stall, the queue drops its oldest events, and send() returns at once every time.
  const std::string data(16'000, 'x');
  for (int i = 0; i < 2'000; ++i) s->send("big", data);
  EXPECT_TRUE(eventually([&] { return !s->isOpen(); }, 10s)) << "never cut off";
  EXPECT_GT(s->dropped(), 0u);
  EXPECT_TRUE(eventually([&] { return srv.server->openConnections() == 0; }));
}

TEST(EventStream, AnOpenStreamCountsTowardTheConnectionCap) {
  ServerSettings settings;
  settings.maxConnectionsPerAddress = 1;
  EventServer srv(settings);
  Client c(srv.port);
  ASSERT_TRUE(c.send(kGet));
  ASSERT_TRUE(c.readUntil("event: hello"));
  {
    Client second(srv.port);
    ASSERT_TRUE(second.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_TRUE(second.readUntil("\r\n\r\n"));
    EXPECT_EQ(second.received().substr(0, 12), "HTTP/1.1 503") << second.received();
  }
  srv.opened.wait()->close();
  ASSERT_TRUE(c.closedWithin());
  EXPECT_TRUE(eventually([&] { return srv.server->openConnections() == 0; }));
  Client third(srv.port);
  ASSERT_TRUE(third.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(third.readUntil("\r\n\r\n"));
  EXPECT_EQ(third.received().substr(0, 12), "HTTP/1.1 200") << third.received();
}

TEST(EventStream, StoppingTheServerClosesOpenStreams) {
  auto srv = std::make_unique<EventServer>();
  Client c(srv->port);
  ASSERT_TRUE(c.send(kGet));
  ASSERT_TRUE(c.readUntil("event: hello"));
  auto s = srv->opened.wait();
  ASSERT_TRUE(s);
  srv.reset();
  EXPECT_FALSE(s->isOpen());
  EXPECT_FALSE(s->send("late", "{}"));
  EXPECT_TRUE(c.closedWithin());
}

TEST(EventStream, HeadGetsTheHeadAndOpensNothing) {
  EventServer srv;
  Client c(srv.port);
  ASSERT_TRUE(c.send("HEAD /events HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(c.readUntil("\r\n\r\n"));
  EXPECT_EQ(c.received().substr(0, 12), "HTTP/1.1 200");
  EXPECT_NE(c.received().find("Content-Type: text/event-stream"), std::string::npos);
  // The connection stays usable (keep-alive), and the route's callback was never called.
  ASSERT_TRUE(c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(c.readUntil("HTTP/1.1 200", 2));
  EXPECT_EQ(srv.opened.count(), 0u);
}

}  // namespace
}  // namespace cs::http
