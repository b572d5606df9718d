#include "trickle/TricklePublisher.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "trickle/CurlHandles.h"
#include "util/LogEscape.h"
#include "util/RateLimitedLog.h"

namespace cs::trickle {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr size_t kMaxErrorBody = 200;
// Segments begun but not yet sent (the connection is down or slow): past this many, a new one is
// dropped whole. Their bytes are bounded by maxBufferedBytes; this bounds empty ones.
constexpr size_t kMaxQueuedSegments = 32;
// POSTs whose bodies were sent, still waiting for their answers (each holds a connection): past
// this many, the oldest is given up (a server that takes bodies and never answers).
constexpr size_t kMaxFinishing = 8;
// Sent bytes are compacted out of a segment's buffer once this many have accumulated.
constexpr size_t kCompactBytes = 256 * 1024;

}  // namespace

class TricklePublisher::Impl {
 public:
  Impl(std::string url, Options options, std::function<void(ChannelEnd, const std::string&)> ended)
      : url_(std::move(url)), opt_(std::move(options)), ended_(std::move(ended)) {
    detail::curlGlobalInit();
    multi_.reset(curl_multi_init());
  }
  ~Impl() { stop(); }

  void start() {
    std::lock_guard lock(lifeMu_);
    if (started_ || !multi_) return;
    started_ = true;
    thread_ = std::thread([this] { run(); });
  }

  void stop() {
    std::lock_guard lock(lifeMu_);
    stopping_.store(true);
    wake();
    if (thread_.joinable()) thread_.join();
  }

  void close(std::chrono::milliseconds timeout) {
    {
      std::lock_guard lock(mu_);
      endOpenLocked();
      if (!closing_) {
        closing_ = true;
        closeDeadline_ = Clock::now() + timeout;
      }
    }
    std::lock_guard lock(lifeMu_);
    wake();
    if (thread_.joinable()) thread_.join();
  }

  // --- producer side (any thread; never waits for the network) ---

  void beginSegment() noexcept {
    {
      std::lock_guard lock(mu_);
      beginLocked();
    }
    wake();
  }

  void write(const uint8_t* data, size_t size) noexcept {
    if (size == 0) return;
    {
      std::lock_guard lock(mu_);
      if (!open_) beginLocked();
      if (!acceptLocked(size)) return;
      open_->data.append(reinterpret_cast<const char*>(data), size);
      buffered_ += size;
    }
    wake();
  }

  void endSegment() noexcept {
    {
      std::lock_guard lock(mu_);
      endOpenLocked();
    }
    wake();
  }

  void publish(std::string_view message) noexcept {
    {
      std::lock_guard lock(mu_);
      beginLocked();
      if (acceptLocked(message.size())) {
        open_->data.append(message);
        buffered_ += message.size();
      }
      endOpenLocked();
    }
    wake();
  }

  Stats stats() const {
    std::lock_guard lock(mu_);
    return stats_;
  }

 private:
  // One segment's bytes, from the producer to a POST's read callback (under mu_).
  struct Segment {
    std::string data;
    size_t sent = 0;         // data[0, sent) was handed to libcurl
    bool ended = false;      // no more bytes will come
    bool abandoned = false;  // its POST failed after bytes went out: the rest is dropped
  };

  // One POST of one seq.
  struct Post {
    Impl* owner = nullptr;
    int64_t seq = 0;
    detail::AttachedEasy easy;
    detail::CurlHeaders headers;
    char error[CURL_ERROR_SIZE] = {};
    std::shared_ptr<Segment> seg;  // null while preconnected
    uint64_t handed = 0;           // bytes given to libcurl
    bool paused = false;
    bool eof = false;  // the body's end was given to libcurl
    detail::ResponseHead head;
    std::string errorBody;
    bool done = false;
    CURLcode result = CURLE_OK;

    std::string why() const {
      if (result == CURLE_OK)
        return "HTTP " + std::to_string(head.status) + (errorBody.empty() ? "" : " " + errorBody);
      return error[0] != '\0' ? std::string(error) : std::string(curl_easy_strerror(result));
    }
  };

  void wake() noexcept {
    if (multi_ && !wakePending_.exchange(true)) curl_multi_wakeup(multi_.get());
  }

  void beginLocked() {
    endOpenLocked();
    open_ = std::make_shared<Segment>();
    if (finished_ || queue_.size() >= kMaxQueuedSegments) {
      open_->abandoned = true;  // not queued: its bytes are dropped and counted
      if (!finished_)
        CS_LOG_LIMITED(spdlog::level::warn,
                       "trickle publisher {}: {} segments waiting; dropping one", logSafe(url_),
                       queue_.size());
      return;
    }
    queue_.push_back(open_);
  }

  void endOpenLocked() {
    if (open_) open_->ended = true;
    open_.reset();
  }

  bool acceptLocked(size_t size) {
    if (finished_ || open_->abandoned || buffered_ + size > opt_.maxBufferedBytes) {
      stats_.droppedBytes += size;
      if (!finished_ && !open_->abandoned)
        CS_LOG_LIMITED(spdlog::level::warn,
                       "trickle publisher {}: {} bytes buffered (the bound); dropping {} bytes",
                       logSafe(url_), buffered_, size);
      return false;
    }
    return true;
  }

  // Drops what is left of a segment (under mu_).
  void abandonLocked(Segment& s) {
    s.abandoned = true;
    const size_t left = s.data.size() - s.sent;
    stats_.droppedBytes += left;
    buffered_ -= left;
    s.data.clear();
    s.sent = 0;
  }

  // --- the client's thread ---

  std::unique_ptr<Post> openPost(int64_t seq) {
    auto p = std::make_unique<Post>();
    p->owner = this;
    p->seq = seq;
    detail::CurlEasy easy(curl_easy_init());
    if (!easy) return nullptr;
    CURL* h = easy.get();
    detail::configureEasy(h, segmentUrl(url_, seq), opt_);
    p->headers.append("Content-Type: " + opt_.contentType);
    p->headers.append("Transfer-Encoding: chunked");
    // No "Expect: 100-continue" round trip before the first bytes (they are the latency).
    p->headers.append("Expect:");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, p->headers.get());
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, &Impl::onRead);
    curl_easy_setopt(h, CURLOPT_READDATA, p.get());
    detail::setResponseHandlers(h, p.get(), &Impl::onBody);
    p->easy = detail::AttachedEasy(multi_.get(), std::move(easy));
    if (!p->easy.attached()) return nullptr;
    SPDLOG_DEBUG("trickle POST {}", logSafe(segmentUrl(url_, seq)));
    return p;
  }

  static size_t onBody(char* data, size_t size, size_t n, void* user) {
    detail::appendBounded(static_cast<Post*>(user)->errorBody, data, size * n, kMaxErrorBody);
    return size * n;
  }

  static size_t onRead(char* buffer, size_t size, size_t n, void* user) {
    auto* p = static_cast<Post*>(user);
    return p->owner->read(*p, buffer, size * n);
  }

  size_t read(Post& p, char* buffer, size_t room) {
    // Answered already (404, closed, an error): the body ends here.
    if (p.head.done) return 0;
    if (!p.seg) {
      p.paused = true;  // preconnected: nothing to send yet
      return CURL_READFUNC_PAUSE;
    }
    std::lock_guard lock(mu_);
    Segment& s = *p.seg;
    const size_t avail = s.data.size() - s.sent;
    if (avail == 0) {
      if (s.ended || s.abandoned) {
        p.eof = true;
        return 0;  // the chunked body's last chunk
      }
      p.paused = true;
      return CURL_READFUNC_PAUSE;
    }
    const size_t n = std::min(avail, room);
    std::memcpy(buffer, s.data.data() + s.sent, n);
    s.sent += n;
    buffered_ -= n;
    p.handed += n;
    stats_.bytes += n;
    if (s.sent == s.data.size()) {
      s.data.clear();
      s.sent = 0;
    } else if (s.sent >= kCompactBytes) {
      s.data.erase(0, s.sent);
      s.sent = 0;
    }
    return n;
  }

  void markDone() {
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(multi_.get(), &left)) {
      if (m->msg != CURLMSG_DONE) continue;
      auto mark = [&](Post* p) {
        if (p && p->easy.get() == m->easy_handle) {
          p->done = true;
          p->result = m->data.result;
        }
      };
      mark(active_.get());
      mark(pre_.get());
      for (auto& p : finishing_) mark(p.get());
    }
  }

  void finish(ChannelEnd end, const std::string& why) {
    if (finished_) return;
    active_.reset();
    pre_.reset();
    finishing_.clear();
    {
      std::lock_guard lock(mu_);
      finished_ = true;
      for (auto& s : queue_) abandonLocked(*s);
      queue_.clear();
    }
    if (end == ChannelEnd::Stopped || end == ChannelEnd::Closed)
      spdlog::debug("trickle publisher {} ended ({}): {}", logSafe(url_), toString(end),
                    logSafe(why));
    else
      spdlog::info("trickle publisher {} ended ({}): {}", logSafe(url_), toString(end),
                   logSafe(why));
    if (ended_) ended_(end, why);
  }

  // Counts one failed POST; false when that used up the retries (the channel has Failed).
  bool failed(int64_t seq, const std::string& why, bool retrying) {
    if (++failures_ > opt_.maxRetries) {
      finish(ChannelEnd::Failed, "seq " + std::to_string(seq) + ": " + why + " (after " +
                                     std::to_string(opt_.maxRetries) + " retries)");
      return false;
    }
    if (retrying) {
      std::lock_guard lock(mu_);
      ++stats_.retries;
    }
    CS_LOG_LIMITED(spdlog::level::warn, "trickle publisher {} seq {}: {}{}", logSafe(url_), seq,
                   logSafe(why), retrying ? "; retrying" : "; its bytes are lost");
    return true;
  }

  // A final answer that ends the channel, whatever POST it came on.
  bool terminal(const Post& p) {
    if (p.head.done && p.head.closed) {
      finish(ChannelEnd::Closed, "the channel was closed");
      return true;
    }
    if (p.head.done && p.head.status == 404) {
      finish(ChannelEnd::NotFound, "404: no such channel");
      return true;
    }
    return false;
  }

  // The preconnected POST for `seq` again, after a back-off.
  void retryPre(int64_t seq) {
    pre_.reset();
    preSeq_ = seq;
    preAt_ = Clock::now() + detail::retryBackoff(opt_, failures_);
  }

  // What the last round of I/O (or the producer) changed.
  void step() {
    // libcurl does not complete a transfer whose upload is paused, even once the server has
    // answered (a 404 to a preconnected POST): resume it; its read callback ends the body.
    for (Post* p : {pre_.get(), active_.get()}) {
      if (p && p->paused && p->head.done && !p->done) {
        p->paused = false;
        curl_easy_pause(p->easy.get(), CURLPAUSE_CONT);
      }
    }
    // Answers to POSTs whose bodies were sent.
    for (auto it = finishing_.begin(); it != finishing_.end();) {
      Post& p = **it;
      if (!p.done) {
        ++it;
        continue;
      }
      if (terminal(p)) return;
      if (p.result == CURLE_OK && p.head.status == 200) {
        failures_ = 0;
        std::lock_guard lock(mu_);
        ++stats_.segments;
      } else if (!failed(p.seq, p.why(), false)) {
        return;
      }
      it = finishing_.erase(it);
    }
    // The preconnected POST ended before it was given a segment: nothing was written, so the
    // same seq may be POSTed again.
    if (pre_ && pre_->done) {
      if (terminal(*pre_)) return;
      const int64_t seq = pre_->seq;
      if (!failed(seq, pre_->why(), true)) return;
      retryPre(seq);
    }
    if (!pre_ && preAt_ && Clock::now() >= *preAt_) {
      preAt_.reset();
      pre_ = openPost(preSeq_);
      if (!pre_ && !failed(preSeq_, "cannot create a transfer", true)) return;
      if (!pre_) retryPre(preSeq_);
    }
    if (active_ && active_->done) {
      if (terminal(*active_)) return;
      Post& p = *active_;
      const bool ok = p.eof && p.result == CURLE_OK && p.head.status == 200;
      if (ok) {
        // Answered before we saw the body's end go out: the segment is complete all the same.
        finishing_.push_back(std::move(active_));
        return step();
      }
      if (p.handed == 0) {
        // Nothing of it reached the server: POST the same seq again, with the same segment.
        if (!failed(p.seq, p.why(), true)) return;
        {
          std::lock_guard lock(mu_);
          queue_.push_front(p.seg);
        }
        retryPre(p.seq);  // replaces the seq+1 preconnect: seqs stay in order
        active_.reset();
      } else {
        // Append-only on the server: this seq is lost, the segment's remaining bytes with it.
        if (!failed(p.seq, p.why(), false)) return;
        {
          std::lock_guard lock(mu_);
          abandonLocked(*p.seg);
        }
        active_.reset();
      }
    }
    if (active_ && active_->eof) finishing_.push_back(std::move(active_));
    if (finishing_.size() > kMaxFinishing) {
      const int64_t seq = finishing_.front()->seq;
      finishing_.erase(finishing_.begin());
      if (!failed(seq, "no answer to the POST", false)) return;
    }
    std::vector<CURL*> resume;
    {
      std::lock_guard lock(mu_);
      if (!active_ && pre_ && !queue_.empty()) {
        // The next segment goes out on the preconnected POST; seq+1 is preconnected at once.
        pre_->seg = queue_.front();
        queue_.pop_front();
        active_ = std::move(pre_);
        stats_.seq = active_->seq;
      }
      if (active_ && active_->paused) {
        const Segment& s = *active_->seg;
        if (s.sent < s.data.size() || s.ended || s.abandoned) {
          active_->paused = false;
          resume.push_back(active_->easy.get());
        }
      }
    }
    if (active_ && !pre_ && !preAt_) {
      pre_ = openPost(active_->seq + 1);
      if (!pre_) retryPre(active_->seq + 1);
    }
    // Outside mu_: libcurl calls the read callback (which takes it) from within.
    for (CURL* h : resume) curl_easy_pause(h, CURLPAUSE_CONT);
  }

  bool drained() {
    std::lock_guard lock(mu_);
    return queue_.empty() && !active_ && finishing_.empty();
  }

  void deleteChannel(Clock::time_point deadline) {
    detail::CurlEasy easy(curl_easy_init());
    if (!easy) return;
    CURL* h = easy.get();
    detail::configureEasy(h, url_, opt_);
    char error[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
    curl_easy_setopt(
        h, CURLOPT_WRITEFUNCTION, +[](char*, size_t s, size_t n, void*) -> size_t {
          return s * n;  // the body says nothing we use
        });
    // At least a second, even when the wait for the last bytes used up close()'s timeout.
    const auto left =
        std::max(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()),
                 std::chrono::milliseconds(1000));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(left.count()));
    const CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK || status != 200)
      spdlog::warn("trickle publisher: DELETE {}: {}", logSafe(url_),
                   rc != CURLE_OK ? logSafe(error[0] ? error : curl_easy_strerror(rc))
                                  : "HTTP " + std::to_string(status));
  }

  int pollTimeoutMs(std::optional<Clock::time_point> closeDeadline) const {
    auto wait = std::chrono::milliseconds(1000);
    const auto now = Clock::now();
    auto until = [&](Clock::time_point at) {
      wait = std::min(
          wait,
          std::max(0ms, std::chrono::duration_cast<std::chrono::milliseconds>(at - now + 1ms)));
    };
    if (preAt_) until(*preAt_);
    if (closeDeadline) until(*closeDeadline);
    return static_cast<int>(wait.count());
  }

  void run() {
    pre_ = openPost(0);
    if (!pre_) retryPre(0);
    spdlog::debug("trickle publisher {} started", logSafe(url_));
    while (!finished_) {
      if (stopping_.load()) {
        finish(ChannelEnd::Stopped, "stopped");
        break;
      }
      wakePending_.store(false);
      int running = 0;
      curl_multi_perform(multi_.get(), &running);
      markDone();
      step();
      if (finished_) break;
      std::optional<Clock::time_point> closeDeadline;
      {
        std::lock_guard lock(mu_);
        if (closing_) closeDeadline = closeDeadline_;
      }
      if (closeDeadline && (drained() || Clock::now() >= *closeDeadline)) {
        const bool complete = drained();
        // DELETE before dropping the preconnected POST (as go's Close does): the server then
        // answers that POST itself (200, closed) instead of seeing its body cut off.
        if (opt_.deleteOnClose) deleteChannel(*closeDeadline);
        active_.reset();
        pre_.reset();
        finishing_.clear();
        finish(ChannelEnd::Closed, complete ? "closed" : "closed before all bytes were sent");
        break;
      }
      curl_multi_poll(multi_.get(), nullptr, 0, pollTimeoutMs(closeDeadline), nullptr);
    }
    active_.reset();
    pre_.reset();
    finishing_.clear();
  }

  const std::string url_;
  const Options opt_;
  const std::function<void(ChannelEnd, const std::string&)> ended_;
  detail::CurlMulti multi_;  // before the posts: they detach from it when destroyed

  // The client's thread only.
  std::unique_ptr<Post> active_;                  // sending a segment's body
  std::unique_ptr<Post> pre_;                     // preconnected, no segment yet
  std::vector<std::unique_ptr<Post>> finishing_;  // body sent, answer pending
  std::optional<Clock::time_point> preAt_;        // when pre_ is opened again (for preSeq_)
  int64_t preSeq_ = 0;
  int failures_ = 0;  // in a row

  // Shared with the producer.
  mutable std::mutex mu_;
  std::deque<std::shared_ptr<Segment>> queue_;  // begun, not yet on a POST
  std::shared_ptr<Segment> open_;               // the producer's
  size_t buffered_ = 0;                         // bytes not yet handed to libcurl
  bool finished_ = false;
  bool closing_ = false;
  Clock::time_point closeDeadline_;
  Stats stats_;

  std::atomic<bool> wakePending_{false};
  std::mutex lifeMu_;
  bool started_ = false;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

TricklePublisher::TricklePublisher(std::string channelUrl, Options options,
                                   std::function<void(ChannelEnd, const std::string&)> ended)
    : impl_(std::make_unique<Impl>(std::move(channelUrl), std::move(options), std::move(ended))) {}

TricklePublisher::~TricklePublisher() {
  stop();
}

void TricklePublisher::start() {
  impl_->start();
}
void TricklePublisher::beginSegment() noexcept {
  impl_->beginSegment();
}
void TricklePublisher::write(const uint8_t* data, size_t size) noexcept {
  impl_->write(data, size);
}
void TricklePublisher::endSegment() noexcept {
  impl_->endSegment();
}
void TricklePublisher::publish(std::string_view message) noexcept {
  impl_->publish(message);
}
void TricklePublisher::close(std::chrono::milliseconds timeout) {
  impl_->close(timeout);
}
void TricklePublisher::stop() {
  impl_->stop();
}
TricklePublisher::Stats TricklePublisher::stats() const {
  return impl_->stats();
}

}  // namespace cs::trickle
