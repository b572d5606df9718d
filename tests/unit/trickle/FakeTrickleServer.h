#pragma once
// A trickle server on 127.0.0.1 for the channel clients' tests, behaving like go-livepeer's
// trickle_server.go for one channel `/ch` (cpp-httplib): GET `/ch/{seq}` waits until the segment
// has bytes (or is complete, or the channel closes) before it answers, then streams the body as it
// is written; -1 is the next segment to be written, -2 the newest one; a seq outside the 5-segment
// window answers 470 with Lp-Trickle-Latest; a missing channel 404; a closed one 200 with
// Lp-Trickle-Closed and no body. POST `/ch/{seq}` appends its (chunked) body to the segment as it
// arrives. DELETE `/ch` closes the channel. Tests can also script statuses for the next GETs.
#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cs::trickle::test {

class FakeTrickleServer {
 public:
  struct Segment {
    std::string data;
    bool complete = false;
  };
  struct PostSeen {
    int64_t seq;
    std::string contentType, transferEncoding;
  };

  FakeTrickleServer() {
    // A preconnected POST or a waiting GET may sit idle for a while.
    server_.set_read_timeout(std::chrono::seconds(60));
    server_.set_write_timeout(std::chrono::seconds(60));
    server_.new_task_queue = [] { return new httplib::ThreadPool(16); };
    server_.Get(R"(/ch/(-?\d+))", [this](const httplib::Request& req, httplib::Response& res) {
      get(std::stoll(req.matches[1]), res);
    });
    server_.Post(R"(/ch/(-?\d+))", [this](const httplib::Request& req, httplib::Response& res,
                                          const httplib::ContentReader& reader) {
      post(std::stoll(req.matches[1]), req, res, reader);
    });
    server_.Delete("/ch", [this](const httplib::Request&, httplib::Response& res) {
      std::lock_guard lock(mu_);
      ++deletes_;
      closed_ = true;
      cv_.notify_all();
      res.status = 200;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();  // stop() needs it running
  }
  ~FakeTrickleServer() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      cv_.notify_all();
    }
    server_.stop();
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/ch"; }

  // --- the publisher's side, written by the test ---
  void write(int64_t seq, const std::string& bytes, bool complete = false) {
    std::lock_guard lock(mu_);
    auto& s = segments_[seq];
    s.data += bytes;
    s.complete = s.complete || complete;
    cv_.notify_all();
  }
  void setExists(bool exists) {
    std::lock_guard lock(mu_);
    exists_ = exists;
  }
  void close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    cv_.notify_all();
  }
  // The next GETs answer these statuses (empty body) instead.
  void failNextGets(std::vector<int> statuses) {
    std::lock_guard lock(mu_);
    scripted_.insert(scripted_.end(), statuses.begin(), statuses.end());
  }

  // --- what the server saw ---
  // Waits (up to `deadline`) until `pred` holds over the server's state.
  bool waitFor(const std::function<bool()>& pred,
               std::chrono::seconds deadline = std::chrono::seconds(20)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, deadline, pred);
  }
  // Only inside waitFor's predicate, or with the lock from lock().
  const std::map<int64_t, Segment>& segments() const { return segments_; }
  const std::vector<int64_t>& gets() const { return gets_; }
  const std::vector<PostSeen>& posts() const { return posts_; }
  int deletes() const { return deletes_; }
  std::unique_lock<std::mutex> lock() { return std::unique_lock(mu_); }

 private:
  // The server's next write position.
  int64_t nextWriteLocked() const {
    for (auto it = segments_.rbegin(); it != segments_.rend(); ++it)
      if (it->second.complete) return it->first + 1;
    return segments_.empty() ? 0 : segments_.begin()->first;
  }

  void get(int64_t seq, httplib::Response& res) {
    std::unique_lock lock(mu_);
    gets_.push_back(seq);
    cv_.notify_all();
    if (!scripted_.empty()) {
      res.status = scripted_.front();
      scripted_.pop_front();
      return;
    }
    if (!exists_) {
      res.status = 404;
      return;
    }
    const int64_t next = nextWriteLocked();
    if (seq == -1) seq = next;
    if (seq == -2) seq = segments_.empty() ? 0 : segments_.rbegin()->first;
    if (seq < next - 5 || seq > next + 1) {
      res.status = 470;
      res.set_header("Lp-Trickle-Latest", std::to_string(next));
      res.set_content("Entry not found", "text/plain");
      return;
    }
    // Go answers only once the segment has data (or the channel closed).
    cv_.wait(lock, [&] {
      auto it = segments_.find(seq);
      return stopping_ || closed_ ||
             (it != segments_.end() && (!it->second.data.empty() || it->second.complete));
    });
    if (closed_ || stopping_) {
      res.status = 200;
      res.set_header("Lp-Trickle-Closed", "terminated");
      return;
    }
    res.status = 200;
    res.set_header("Lp-Trickle-Seq", std::to_string(seq));
    res.set_chunked_content_provider(
        "video/MP2T", [this, seq, sent = size_t{0}](size_t, httplib::DataSink& sink) mutable {
          std::unique_lock lock(mu_);
          cv_.wait(lock, [&] {
            const auto& s = segments_.at(seq);
            return stopping_ || closed_ || s.complete || s.data.size() > sent;
          });
          const auto& s = segments_.at(seq);
          if (s.data.size() > sent) {
            const std::string chunk = s.data.substr(sent);
            sent = s.data.size();
            lock.unlock();
            return sink.write(chunk.data(), chunk.size());
          }
          if (s.complete || closed_) sink.done();
          return s.complete || closed_;
        });
  }

  void post(int64_t seq, const httplib::Request& req, httplib::Response& res,
            const httplib::ContentReader& reader) {
    {
      std::lock_guard lock(mu_);
      posts_.push_back(
          {seq, req.get_header_value("Content-Type"), req.get_header_value("Transfer-Encoding")});
      cv_.notify_all();
      if (!exists_) {
        res.status = 404;
        res.set_header("Connection", "close");
        return;
      }
      segments_[seq];
    }
    reader([&](const char* data, size_t n) {
      std::lock_guard lock(mu_);
      segments_[seq].data.append(data, n);
      cv_.notify_all();
      return true;
    });
    std::lock_guard lock(mu_);
    if (closed_) {
      res.status = 200;
      res.set_header("Lp-Trickle-Closed", "terminated");
      return;
    }
    segments_[seq].complete = true;
    cv_.notify_all();
    res.status = 200;
    res.set_header("Lp-Trickle-Seq", std::to_string(seq));
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<int64_t, Segment> segments_;
  std::vector<int64_t> gets_;
  std::vector<PostSeen> posts_;
  std::deque<int> scripted_;
  int deletes_ = 0;
  bool exists_ = true;
  bool closed_ = false;
  bool stopping_ = false;
};

}  // namespace cs::trickle::test
