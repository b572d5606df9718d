// TricklePublisher against a go-like trickle server on 127.0.0.1 (FakeTrickleServer.h): what the
// server receives, per seq, and how the channel ends.
#include "trickle/TricklePublisher.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "FakeTrickleServer.h"

namespace cs::trickle {
namespace {

using namespace std::chrono_literals;
using test::FakeTrickleServer;

class EndRecorder {
 public:
  std::function<void(ChannelEnd, const std::string&)> callback() {
    return [this](ChannelEnd e, const std::string&) {
      std::lock_guard lock(mu_);
      ends_.push_back(e);
      cv_.notify_all();
    };
  }
  bool waitFor(ChannelEnd e) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 20s, [&] { return !ends_.empty() && ends_.front() == e; });
  }
  std::vector<ChannelEnd> ends() {
    std::lock_guard lock(mu_);
    return ends_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<ChannelEnd> ends_;
};

void write(TricklePublisher& p, const std::string& s) {
  p.write(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

TricklePublisher::Options fastRetries() {
  TricklePublisher::Options o;
  o.retryDelay = 1ms;
  o.maxRetries = 2;
  return o;
}

// Polls `pred` until it holds (the client's state has no condition variable to wait on).
bool eventually(const std::function<bool()>& pred) {
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

bool posted(FakeTrickleServer& server, int64_t seq) {
  for (const auto& p : server.posts())
    if (p.seq == seq) return true;
  return false;
}

TEST(TricklePublisher, StreamsChunkedSegmentsByteExactPerSeq) {
  FakeTrickleServer server;
  EndRecorder ends;
  TricklePublisher pub(server.url(), fastRetries(), ends.callback());
  pub.start();
  // Seq 0 is preconnected before anything is written.
  ASSERT_TRUE(server.waitFor([&] { return posted(server, 0); }));

  pub.beginSegment();
  write(pub, "hello ");
  // The bytes reach the server while the segment is open, and seq 1 is preconnected.
  ASSERT_TRUE(server.waitFor([&] {
    auto it = server.segments().find(0);
    return it != server.segments().end() && it->second.data == "hello " && posted(server, 1);
  }));
  EXPECT_FALSE(server.segments().at(0).complete);
  write(pub, "world");
  pub.beginSegment();  // seq 0 is complete
  std::string big(200000, 'x');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  write(pub, big);
  pub.endSegment();
  pub.beginSegment();
  write(pub, "third");
  pub.endSegment();
  ASSERT_TRUE(server.waitFor([&] {
    // Each seq has its own connection: they may complete in any order.
    for (int64_t seq : {0, 1, 2}) {
      auto it = server.segments().find(seq);
      if (it == server.segments().end() || !it->second.complete) return false;
    }
    return posted(server, 3);  // preconnected for the next segment
  }));
  {
    auto lock = server.lock();
    EXPECT_EQ(server.segments().at(0).data, "hello world");
    EXPECT_TRUE(server.segments().at(0).complete);
    EXPECT_EQ(server.segments().at(1).data, big);
    EXPECT_EQ(server.segments().at(2).data, "third");
    for (const auto& p : server.posts()) {
      EXPECT_EQ(p.transferEncoding, "chunked");
      EXPECT_EQ(p.contentType, "video/MP2T");
    }
  }
  ASSERT_TRUE(eventually([&] { return pub.stats().segments == 3; }));
  const auto st = pub.stats();
  EXPECT_EQ(st.bytes, 11u + big.size() + 5u);
  EXPECT_EQ(st.droppedBytes, 0u);
  EXPECT_EQ(st.seq, 2);
  pub.close(5s);
  EXPECT_EQ(ends.ends(), std::vector<ChannelEnd>{ChannelEnd::Closed});
  EXPECT_EQ(server.deletes(), 1);
}

TEST(TricklePublisher, CloseSendsWhatIsBufferedThenDeletesTheChannel) {
  FakeTrickleServer server;
  EndRecorder ends;
  TricklePublisher pub(server.url(), fastRetries(), ends.callback());
  pub.start();
  pub.beginSegment();
  write(pub, "last words");
  pub.close(10s);  // ends the open segment itself
  auto lock = server.lock();
  EXPECT_EQ(server.segments().at(0).data, "last words");
  EXPECT_TRUE(server.segments().at(0).complete);
  EXPECT_EQ(server.deletes(), 1);
  EXPECT_EQ(ends.ends(), std::vector<ChannelEnd>{ChannelEnd::Closed});
}

TEST(TricklePublisher, PublishesEachMessageAsOneSegment) {
  FakeTrickleServer server;
  TricklePublisher pub(server.url(), fastRetries(), nullptr);
  pub.start();
  pub.publish(R"({"type":"a"})");
  pub.publish(R"({"type":"b"})");
  ASSERT_TRUE(server.waitFor([&] {
    for (int64_t seq : {0, 1}) {
      auto it = server.segments().find(seq);
      if (it == server.segments().end() || !it->second.complete) return false;
    }
    return true;
  }));
  {
    auto lock = server.lock();
    EXPECT_EQ(server.segments().at(0).data, R"({"type":"a"})");
    EXPECT_EQ(server.segments().at(1).data, R"({"type":"b"})");
  }
  pub.stop();
}

TEST(TricklePublisher, DropsAndCountsPastTheBufferBound) {
  // Not started: nothing is sent, so every byte stays buffered.
  auto opt = fastRetries();
  opt.maxBufferedBytes = 100;
  TricklePublisher pub("http://127.0.0.1:9/ch", opt, nullptr);
  pub.beginSegment();
  write(pub, std::string(60, 'a'));
  write(pub, std::string(50, 'b'));   // 110 > 100: dropped whole
  write(pub, std::string(40, 'c'));   // fits
  pub.publish(std::string(10, 'd'));  // 110 > 100: dropped whole
  const auto st = pub.stats();
  EXPECT_EQ(st.droppedBytes, 60u);
  EXPECT_EQ(st.bytes, 0u);
}

TEST(TricklePublisher, EndsWithNotFoundOn404) {
  FakeTrickleServer server;
  server.setExists(false);
  EndRecorder ends;
  TricklePublisher pub(server.url(), fastRetries(), ends.callback());
  pub.start();
  ASSERT_TRUE(ends.waitFor(ChannelEnd::NotFound));
  write(pub, "after the end");  // dropped, never blocks
  pub.stop();
  EXPECT_EQ(ends.ends(), std::vector<ChannelEnd>{ChannelEnd::NotFound});
  EXPECT_EQ(pub.stats().droppedBytes, 13u);
}

TEST(TricklePublisher, EndsWithClosedWhenTheServerClosesTheChannel) {
  FakeTrickleServer server;
  EndRecorder ends;
  TricklePublisher pub(server.url(), fastRetries(), ends.callback());
  pub.start();
  pub.beginSegment();
  write(pub, "abc");
  ASSERT_TRUE(server.waitFor([&] {
    auto it = server.segments().find(0);
    return it != server.segments().end() && it->second.data == "abc";
  }));
  server.close();
  pub.endSegment();  // the POST for seq 0 is answered 200 + Lp-Trickle-Closed
  ASSERT_TRUE(ends.waitFor(ChannelEnd::Closed));
  pub.stop();
  EXPECT_EQ(ends.ends(), std::vector<ChannelEnd>{ChannelEnd::Closed});
}

// A port nothing listens on.
int closedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

TEST(TricklePublisher, FailsWhenRetriesAreUsedUp) {
  EndRecorder ends;
  TricklePublisher pub("http://127.0.0.1:" + std::to_string(closedPort()) + "/ch", fastRetries(),
                       ends.callback());
  pub.start();
  ASSERT_TRUE(ends.waitFor(ChannelEnd::Failed));
  pub.stop();
  EXPECT_EQ(pub.stats().retries, 2u);
}

TEST(TricklePublisher, StopReturnsWhenTheServerHangs) {
  // Accepts connections (the kernel completes the handshake) and never answers.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 16), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  EndRecorder ends;
  TricklePublisher pub("http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/ch",
                       fastRetries(), ends.callback());
  pub.start();
  pub.beginSegment();
  write(pub, std::string(1000, 'z'));
  ASSERT_TRUE(eventually([&] { return pub.stats().bytes > 0; }));
  pub.stop();
  pub.stop();
  EXPECT_EQ(ends.ends(), std::vector<ChannelEnd>{ChannelEnd::Stopped});
  ::close(fd);
}

// A raw HTTP/1.1 server that does what go's trickle server does to a POST that sends no bytes:
// interim "100 Continue" responses (go: every 10 s), here two at once, before the body arrives.
class ContinueServer {
 public:
  ContinueServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 16);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~ContinueServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
    for (int c : held_) ::close(c);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/ch"; }
  bool waitForContinues() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 20s, [&] { return continued_; });
  }
  bool waitForBody(std::string* body) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, 20s, [&] { return answered_; })) return false;
    *body = body_;
    return true;
  }

 private:
  void serve() {
    for (;;) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      held_.push_back(c);
      std::string in;
      if (!readUntil(c, in, "\r\n\r\n")) continue;
      if (in.rfind("POST /ch/0 ", 0) != 0) continue;  // the seq 1 preconnect: held open
      const std::string cont = "HTTP/1.1 100 Continue\r\n\r\n";
      for (int i = 0; i < 2; ++i) ::send(c, cont.data(), cont.size(), MSG_NOSIGNAL);
      {
        std::lock_guard lock(mu_);
        continued_ = true;
        cv_.notify_all();
      }
      in.erase(0, in.find("\r\n\r\n") + 4);
      if (!readUntil(c, in, "0\r\n\r\n")) continue;
      // Chunked decoding of what arrived.
      std::string body;
      size_t pos = 0;
      for (;;) {
        const size_t eol = in.find("\r\n", pos);
        const size_t n = std::stoul(in.substr(pos, eol - pos), nullptr, 16);
        if (n == 0) break;
        body += in.substr(eol + 2, n);
        pos = eol + 2 + n + 2;
      }
      const std::string ok = "HTTP/1.1 200 OK\r\nLp-Trickle-Seq: 0\r\nContent-Length: 0\r\n\r\n";
      ::send(c, ok.data(), ok.size(), MSG_NOSIGNAL);
      std::lock_guard lock(mu_);
      body_ = body;
      answered_ = true;
      cv_.notify_all();
    }
  }
  static bool readUntil(int c, std::string& in, const std::string& end) {
    char buf[4096];
    while (in.find(end) == std::string::npos) {
      const ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) return false;
      in.append(buf, static_cast<size_t>(n));
    }
    return true;
  }

  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::vector<int> held_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool continued_ = false, answered_ = false;
  std::string body_;
};

TEST(TricklePublisher, ToleratesRepeatedInterimContinues) {
  ContinueServer server;
  TricklePublisher pub(server.url(), fastRetries(), nullptr);
  pub.start();
  ASSERT_TRUE(server.waitForContinues());  // both sent before any byte is written
  pub.beginSegment();
  write(pub, "after two 100s");
  pub.endSegment();
  std::string body;
  ASSERT_TRUE(server.waitForBody(&body));
  EXPECT_EQ(body, "after two 100s");
  ASSERT_TRUE(eventually([&] { return pub.stats().segments == 1; }));
  EXPECT_EQ(pub.stats().retries, 0u);
  pub.stop();
}

}  // namespace
}  // namespace cs::trickle
