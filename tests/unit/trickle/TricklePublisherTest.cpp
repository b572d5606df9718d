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

}  // namespace
}  // namespace cs::trickle
