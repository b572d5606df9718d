// TrickleSubscriber against a go-like trickle server on 127.0.0.1 (FakeTrickleServer.h): what a
// reader of the channel sees, in order, and how the channel ends.
#include "trickle/TrickleSubscriber.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netinet/in.h>

#include "FakeTrickleServer.h"

namespace cs::trickle {
namespace {

using namespace std::chrono_literals;
using test::FakeTrickleServer;

// What the handler saw, as text: "start 0", "data abc", "end 0", "ended closed".
class Recorder {
 public:
  TrickleSubscriber::Handler handler() {
    return {
        [this](int64_t seq) { add("start " + std::to_string(seq)); },
        [this](const uint8_t* d, size_t n) {
          add("data " + std::string(reinterpret_cast<const char*>(d), n));
        },
        [this](int64_t seq) { add("end " + std::to_string(seq)); },
        [this](ChannelEnd e, const std::string& why) {
          std::lock_guard lock(mu_);
          endedCount_++;
          why_ = why;
          events_.push_back("ended " + std::string(toString(e)));
          cv_.notify_all();
        },
        [this](int64_t seq, const std::string&) { add("aborted " + std::to_string(seq)); },
    };
  }
  bool waitFor(const std::function<bool(const std::vector<std::string>&)>& pred) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 20s, [&] { return pred(events_); });
  }
  bool waitForEvent(const std::string& e) {
    return waitFor([&](const auto& ev) { return std::find(ev.begin(), ev.end(), e) != ev.end(); });
  }
  // Consecutive data events joined, the others as they are.
  std::vector<std::string> merged() {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& e : events_) {
      if (e.rfind("data ", 0) == 0 && !out.empty() && out.back().rfind("data ", 0) == 0)
        out.back() += e.substr(5);
      else
        out.push_back(e);
    }
    return out;
  }
  int endedCount() {
    std::lock_guard lock(mu_);
    return endedCount_;
  }

 private:
  void add(std::string e) {
    std::lock_guard lock(mu_);
    events_.push_back(std::move(e));
    cv_.notify_all();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> events_;
  std::string why_;
  int endedCount_ = 0;
};

TrickleSubscriber::Options fastRetries() {
  TrickleSubscriber::Options o;
  o.retryDelay = 1ms;
  o.maxRetries = 2;
  return o;
}

TEST(TrickleSubscriber, ReadsSegmentsInOrderWithBytesBeforeTheSegmentEnds) {
  FakeTrickleServer server;
  Recorder rec;
  auto opt = fastRetries();
  opt.startSeq = 0;
  TrickleSubscriber sub(server.url(), opt, rec.handler());
  sub.start();

  server.write(0, "abc");
  // The first bytes are handed on while the segment is still being written...
  ASSERT_TRUE(rec.waitForEvent("data abc"));
  // ...and the next segment's GET is already waiting.
  ASSERT_TRUE(server.waitFor([&] {
    return std::find(server.gets().begin(), server.gets().end(), 1) != server.gets().end();
  }));
  server.write(0, "def", true);
  ASSERT_TRUE(rec.waitForEvent("end 0"));
  server.write(1, "ghi", true);
  server.write(2, "jkl");
  server.write(2, "mno", true);
  ASSERT_TRUE(rec.waitForEvent("end 2"));
  sub.stop();
  EXPECT_EQ(rec.merged(), (std::vector<std::string>{"start 0", "data abcdef", "end 0", "start 1",
                                                    "data ghi", "end 1", "start 2", "data jklmno",
                                                    "end 2", "ended stopped"}));
  const auto st = sub.stats();
  EXPECT_EQ(st.segments, 3u);
  EXPECT_EQ(st.bytes, 15u);
  EXPECT_EQ(st.seq, 2);
  EXPECT_EQ(rec.endedCount(), 1);
}

TEST(TrickleSubscriber, StartsAtTheLiveEdgeByDefault) {
  FakeTrickleServer server;
  for (int i = 0; i < 3; ++i) server.write(i, "old" + std::to_string(i), true);
  server.write(3, "cur");
  Recorder rec;
  TrickleSubscriber sub(server.url(), fastRetries(), rec.handler());  // -2: the current segment
  sub.start();
  ASSERT_TRUE(rec.waitForEvent("data cur"));
  server.write(3, "", true);
  server.write(4, "new", true);
  ASSERT_TRUE(rec.waitForEvent("end 4"));
  sub.stop();
  EXPECT_EQ(rec.merged(), (std::vector<std::string>{"start 3", "data cur", "end 3", "start 4",
                                                    "data new", "end 4", "ended stopped"}));
}

TEST(TrickleSubscriber, JumpsToLatestOn470) {
  FakeTrickleServer server;
  for (int i = 0; i < 10; ++i) server.write(i, "x", true);  // seq 0 fell out of the window
  Recorder rec;
  auto opt = fastRetries();
  opt.startSeq = 0;
  TrickleSubscriber sub(server.url(), opt, rec.handler());
  sub.start();
  ASSERT_TRUE(server.waitFor([&] {
    return std::find(server.gets().begin(), server.gets().end(), 10) != server.gets().end();
  }));
  server.write(10, "latest", true);
  ASSERT_TRUE(rec.waitForEvent("end 10"));
  sub.stop();
  EXPECT_EQ(rec.merged().front(), "start 10");
  EXPECT_EQ(sub.stats().jumps, 1u);
  EXPECT_EQ(sub.stats().retries, 0u);
}

TEST(TrickleSubscriber, EndsWithNotFoundOn404) {
  FakeTrickleServer server;
  server.setExists(false);
  Recorder rec;
  TrickleSubscriber sub(server.url(), fastRetries(), rec.handler());
  sub.start();
  ASSERT_TRUE(rec.waitForEvent("ended not found"));
  sub.stop();
  EXPECT_EQ(rec.endedCount(), 1);
}

TEST(TrickleSubscriber, EndsWithClosedWhenTheChannelClosesWhileWaiting) {
  FakeTrickleServer server;
  server.write(0, "a", true);
  Recorder rec;
  auto opt = fastRetries();
  opt.startSeq = 0;
  TrickleSubscriber sub(server.url(), opt, rec.handler());
  sub.start();
  ASSERT_TRUE(rec.waitForEvent("end 0"));
  // The GET for seq 1 is waiting for a segment that will never be written.
  ASSERT_TRUE(server.waitFor([&] {
    return std::find(server.gets().begin(), server.gets().end(), 1) != server.gets().end();
  }));
  server.close();
  ASSERT_TRUE(rec.waitForEvent("ended closed"));
  sub.stop();
  EXPECT_EQ(rec.merged(), (std::vector<std::string>{"start 0", "data a", "end 0", "ended closed"}));
}

TEST(TrickleSubscriber, RetriesServerErrorsThenReads) {
  FakeTrickleServer server;
  server.failNextGets({503, 500});
  server.write(0, "ok", true);
  Recorder rec;
  auto opt = fastRetries();
  opt.startSeq = 0;
  TrickleSubscriber sub(server.url(), opt, rec.handler());
  sub.start();
  ASSERT_TRUE(rec.waitForEvent("end 0"));
  sub.stop();
  EXPECT_EQ(sub.stats().retries, 2u);
}

TEST(TrickleSubscriber, FailsWhenRetriesAreUsedUp) {
  // A port nothing listens on: every connection is refused.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  Recorder rec;
  TrickleSubscriber sub("http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/ch",
                        fastRetries(), rec.handler());
  sub.start();
  ASSERT_TRUE(rec.waitForEvent("ended failed"));
  sub.stop();
  EXPECT_EQ(sub.stats().retries, 2u);
  EXPECT_EQ(rec.endedCount(), 1);
}

TEST(TrickleSubscriber, ReissuesAGetThatWaitsTooLongForHeaders) {
  // Go re-issues a pending GET every 20 s: a connection that died silently cannot hang the
  // channel. Here the interval is short and the server simply has nothing yet.
  FakeTrickleServer server;
  Recorder rec;
  auto opt = fastRetries();
  opt.startSeq = 0;
  opt.refreshInterval = 100ms;
  TrickleSubscriber sub(server.url(), opt, rec.handler());
  sub.start();
  ASSERT_TRUE(server.waitFor(
      [&] { return std::count(server.gets().begin(), server.gets().end(), 0) >= 3; }));
  server.write(0, "late", true);
  ASSERT_TRUE(rec.waitForEvent("end 0"));
  sub.stop();
  EXPECT_EQ(sub.stats().retries, 0u);
}

TEST(TrickleSubscriber, GivesUpASegmentLargerThanTheBoundAndReadsOn) {
  FakeTrickleServer server;
  server.write(0, "0123456789", true);
  Recorder rec;
  auto opt = fastRetries();
  opt.startSeq = 0;
  opt.maxSegmentBytes = 4;
  TrickleSubscriber sub(server.url(), opt, rec.handler());
  sub.start();
  ASSERT_TRUE(rec.waitForEvent("aborted 0"));
  server.write(1, "ok", true);
  ASSERT_TRUE(rec.waitForEvent("end 1"));
  sub.stop();
  EXPECT_EQ(rec.merged(), (std::vector<std::string>{"start 0", "aborted 0", "start 1", "data ok",
                                                    "end 1", "ended stopped"}));
}

TEST(TrickleSubscriber, AHandlerThatThrowsEndsTheChannelWithFailed) {
  FakeTrickleServer server;
  server.write(0, "boom", true);
  Recorder rec;
  auto handler = rec.handler();
  handler.data = [](const uint8_t*, size_t) { throw std::runtime_error("consumer broke"); };
  auto opt = fastRetries();
  opt.startSeq = 0;
  TrickleSubscriber sub(server.url(), opt, handler);
  sub.start();
  ASSERT_TRUE(rec.waitForEvent("ended failed"));
  sub.stop();
  EXPECT_EQ(rec.endedCount(), 1);
}

TEST(TrickleSubscriber, StopWhileWaitingReturnsAndEndsOnce) {
  FakeTrickleServer server;
  Recorder rec;
  TrickleSubscriber sub(server.url(), fastRetries(), rec.handler());
  sub.start();
  ASSERT_TRUE(server.waitFor([&] { return !server.gets().empty(); }));
  sub.stop();
  sub.stop();
  EXPECT_EQ(rec.merged(), (std::vector<std::string>{"ended stopped"}));
}

}  // namespace
}  // namespace cs::trickle
