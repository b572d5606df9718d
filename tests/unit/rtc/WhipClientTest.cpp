// The WHIP client's HTTP exchange against a fake WHIP server on 127.0.0.1 (cpp-httplib): what it
// sends, how it follows redirects and resolves Locations, and what it refuses.
#include "rtc/WhipClient.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <thread>

namespace cs {
namespace {

class FakeWhipServer {
 public:
  FakeWhipServer() {
    port = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~FakeWhipServer() {
    server_.stop();
    thread_.join();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port) + path;
  }
  httplib::Server& server() { return server_; }
  int port = 0;

 private:
  httplib::Server server_;
  std::thread thread_;
};

HttpUrl url(const std::string& s) {
  return *HttpUrl::parse(s);
}

const PushAllowList kLocal = PushAllowList::parse("127.0.0.1");

}  // namespace

TEST(WhipClientExchange, PostsTheOfferAndResolvesARelativeLocation) {
  FakeWhipServer fake;
  std::string gotType, gotAuth, gotBody;
  fake.server().Post("/live/whip", [&](const httplib::Request& req, httplib::Response& res) {
    gotType = req.get_header_value("Content-Type");
    gotAuth = req.get_header_value("Authorization");
    gotBody = req.body;
    res.status = 201;
    res.set_header("Location", "sessions/42");
    res.set_content("v=0\r\nanswer\r\n", "application/sdp");
  });
  std::string deleted, deleteAuth;
  fake.server().Delete("/live/sessions/42", [&](const httplib::Request& req, httplib::Response&) {
    deleted = req.path;
    deleteAuth = req.get_header_value("Authorization");
  });
  WhipClient client(kLocal);
  const auto s = client.post(url(fake.url("/live/whip?x=1")), "tok", "v=0\r\noffer\r\n");
  EXPECT_EQ(gotType, "application/sdp");
  EXPECT_EQ(gotAuth, "Bearer tok");
  EXPECT_EQ(gotBody, "v=0\r\noffer\r\n");
  EXPECT_EQ(s.answer, "v=0\r\nanswer\r\n");
  EXPECT_EQ(s.location.str(), fake.url("/live/sessions/42"));
  client.end(s.location, "tok");
  EXPECT_EQ(deleted, "/live/sessions/42");
  EXPECT_EQ(deleteAuth, "Bearer tok");
}

TEST(WhipClientExchange, Follows307WithTheSameRequestAndResolvesAgainstTheFinalUrl) {
  FakeWhipServer fake;
  fake.server().Post("/whip", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 307;
    res.set_header("Location", "/other/whip");
  });
  std::string body;
  fake.server().Post("/other/whip", [&](const httplib::Request& req, httplib::Response& res) {
    body = req.body;
    res.status = 201;
    res.set_header("Location", "s/1");
    res.set_content("answer", "application/sdp");
  });
  const auto s = WhipClient(kLocal).post(url(fake.url("/whip")), "", "offer");
  EXPECT_EQ(body, "offer");
  EXPECT_EQ(s.location.str(), fake.url("/other/s/1"));
}

TEST(WhipClientExchange, NeverFollowsARedirectOutOfTheAllowList) {
  FakeWhipServer fake;
  fake.server().Post("/whip", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 307;
    res.set_header("Location", "http://169.254.169.254/latest/meta-data");
  });
  try {
    WhipClient(kLocal).post(url(fake.url("/whip")), "", "offer");
    FAIL() << "followed a redirect to a host --push-allow does not name";
  } catch (const WhipError& e) {
    EXPECT_TRUE(e.permanent());
    EXPECT_NE(std::string(e.what()).find("--push-allow"), std::string::npos) << e.what();
  }
}

TEST(WhipClientExchange, RedirectLoopsEnd) {
  FakeWhipServer fake;
  fake.server().Post("/whip", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 307;
    res.set_header("Location", "/whip");
  });
  EXPECT_THROW(WhipClient(kLocal).post(url(fake.url("/whip")), "", "offer"), WhipError);
}

TEST(WhipClientExchange, RefusalsSayWhetherToRetry) {
  FakeWhipServer fake;
  fake.server().Post("/busy", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 503;
    res.set_header("Retry-After", "7");
  });
  fake.server().Post("/bad", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 400;
    res.set_content("{\"error\":\"no\"}", "application/json");
  });
  fake.server().Post("/noloc", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 201;
    res.set_content("answer", "application/sdp");
  });
  WhipClient client(kLocal);
  try {
    client.post(url(fake.url("/busy")), "", "o");
    FAIL();
  } catch (const WhipError& e) {
    EXPECT_FALSE(e.permanent());
    EXPECT_EQ(e.status(), 503);
    EXPECT_EQ(e.retryAfter(), std::chrono::seconds(7));
  }
  try {
    client.post(url(fake.url("/bad")), "", "o");
    FAIL();
  } catch (const WhipError& e) {
    EXPECT_TRUE(e.permanent());
    EXPECT_NE(std::string(e.what()).find("400"), std::string::npos);
  }
  try {
    client.post(url(fake.url("/noloc")), "", "o");
    FAIL();
  } catch (const WhipError& e) {
    EXPECT_TRUE(e.permanent());
  }
}

TEST(WhipClientExchange, AnswersAreBoundedInSizeAndTime) {
  // Declared before the server: its handler threads read it until the server has stopped.
  std::atomic<bool> release{false};
  FakeWhipServer fake;
  fake.server().Post("/huge", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 201;
    res.set_header("Location", "/s");
    res.set_content(std::string(200 * 1024, 'a'), "application/sdp");
  });
  // Released on every way out, before the server (which waits for its handler) stops.
  struct Release {
    std::atomic<bool>& flag;
    ~Release() { flag = true; }
  } releaseOnExit{release};
  fake.server().Post("/slow", [&](const httplib::Request&, httplib::Response& res) {
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    res.status = 201;
  });
  WhipClientSettings s;
  s.timeout = std::chrono::milliseconds(300);
  WhipClient client(kLocal, s);
  EXPECT_THROW(client.post(url(fake.url("/huge")), "", "o"), WhipError);
  try {
    client.post(url(fake.url("/slow")), "", "o");
    FAIL();
  } catch (const WhipError& e) {
    EXPECT_FALSE(e.permanent());  // a timeout may pass
  }
}

TEST(WhipClientExchange, ConnectionRefusedIsRetryable) {
  try {
    WhipClient(kLocal).post(url("http://127.0.0.1:9/whip"), "", "o");
    FAIL();
  } catch (const WhipError& e) {
    EXPECT_FALSE(e.permanent());
    EXPECT_EQ(e.status(), 0);
  }
}

}  // namespace cs
