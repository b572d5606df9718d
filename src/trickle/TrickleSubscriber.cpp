#include "trickle/TrickleSubscriber.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <string_view>

#include "trickle/CurlHandles.h"
#include "util/LogEscape.h"
#include "util/RateLimitedLog.h"

namespace cs::trickle {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Enough of a refused request's body for the log line.
constexpr size_t kMaxErrorBody = 200;

}  // namespace

class TrickleSubscriber::Impl {
 public:
  Impl(std::string url, Options options, Handler handler)
      : url_(std::move(url)), opt_(std::move(options)), h_(std::move(handler)) {
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
    if (multi_) curl_multi_wakeup(multi_.get());
    if (thread_.joinable()) thread_.join();
  }

  Stats stats() const {
    std::lock_guard lock(statsMu_);
    return stats_;
  }

 private:
  // One GET of one segment.
  struct Transfer {
    Impl* owner = nullptr;
    int64_t requested = 0;
    Clock::time_point issued;
    detail::AttachedEasy easy;
    char error[CURL_ERROR_SIZE] = {};
    detail::ResponseHead head;
    std::string errorBody;
    // Handed on: segmentStarted was called; seq is the one served.
    bool started = false;
    bool preconnected = false;  // the next seq's GET was issued
    int64_t seq = -1;
    uint64_t bytes = 0;
    bool paused = false;  // body bytes arrived before it became the current segment
    std::string abortWhy;
    bool done = false;
    CURLcode result = CURLE_OK;

    std::string why() const {
      if (!abortWhy.empty()) return abortWhy;
      return error[0] != '\0' ? std::string(error) : std::string(curl_easy_strerror(result));
    }
  };

  std::unique_ptr<Transfer> open(int64_t seq) {
    auto t = std::make_unique<Transfer>();
    t->owner = this;
    t->requested = seq;
    t->issued = Clock::now();
    detail::CurlEasy easy(curl_easy_init());
    if (!easy) return nullptr;
    CURL* h = easy.get();
    detail::configureEasy(h, segmentUrl(url_, seq), opt_);
    detail::setResponseHandlers(h, t.get(), &Impl::onBody);
    t->easy = detail::AttachedEasy(multi_.get(), std::move(easy));
    if (!t->easy.attached()) return nullptr;
    SPDLOG_DEBUG("trickle GET {}", logSafe(segmentUrl(url_, seq)));
    return t;
  }

  static size_t onBody(char* data, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    // A handler's exception must not unwind through libcurl: the transfer is failed instead and
    // the channel ends (step() sees handlerError_).
    try {
      return t->owner->body(*t, reinterpret_cast<const uint8_t*>(data), size * n);
    } catch (const std::exception& e) {
      t->owner->handlerError_ = e.what();
    } catch (...) {
      t->owner->handlerError_ = "unknown exception";
    }
    if (t->owner->handlerError_.empty()) t->owner->handlerError_ = "exception";
    return 0;
  }

  size_t body(Transfer& t, const uint8_t* data, size_t len) {
    if (t.head.status != 200 || t.head.closed) {
      // A refusal's body ("Entry not found"): kept for the log only.
      detail::appendBounded(t.errorBody, reinterpret_cast<const char*>(data), len, kMaxErrorBody);
      return len;
    }
    if (&t != cur_.get()) {
      // The preconnected segment's bytes, while the current one is still being read: libcurl keeps
      // them (and stops reading the socket) until the transfer is resumed.
      t.paused = true;
      return CURL_WRITEFUNC_PAUSE;
    }
    if (!t.started) begin(t);
    if (t.bytes + len > opt_.maxSegmentBytes) {
      t.abortWhy = "the segment is larger than " + std::to_string(opt_.maxSegmentBytes) + " bytes";
      return 0;  // CURLE_WRITE_ERROR: the transfer ends, and the segment is given up
    }
    t.bytes += len;
    {
      std::lock_guard lock(statsMu_);
      stats_.bytes += len;
      stats_.lastData = Clock::now();
    }
    if (h_.data) h_.data(data, len);
    return len;
  }

  // The current transfer's 200 response: a segment starts.
  void begin(Transfer& t) {
    t.started = true;
    const auto served = parseSeq(t.head.seq);
    t.seq = served ? *served : (t.requested >= 0 ? t.requested : -1);
    failures_ = 0;
    jumpsInRow_ = 0;
    {
      std::lock_guard lock(statsMu_);
      stats_.seq = t.seq;
    }
    if (h_.segmentStarted) h_.segmentStarted(t.seq);
  }

  void finish(ChannelEnd end, const std::string& why) {
    if (ended_) return;
    ended_ = true;
    cur_.reset();
    next_.reset();
    if (end == ChannelEnd::Stopped)
      spdlog::debug("trickle subscriber {}: {}", logSafe(url_), why);
    else
      spdlog::info("trickle subscriber {} ended ({}): {}", logSafe(url_), toString(end),
                   logSafe(why));
    if (h_.ended) h_.ended(end, why);
  }

  // No segment could be read at `seq`: try again after a back-off, or give up.
  void retryLater(int64_t seq, const std::string& why) {
    cur_.reset();
    next_.reset();
    ++failures_;
    if (failures_ > opt_.maxRetries) {
      finish(ChannelEnd::Failed, why + " (after " + std::to_string(opt_.maxRetries) + " retries)");
      return;
    }
    {
      std::lock_guard lock(statsMu_);
      ++stats_.retries;
    }
    CS_LOG_LIMITED(spdlog::level::warn, "trickle subscriber {} seq {}: {}; retry {} of {}",
                   logSafe(url_), seq, logSafe(why), failures_, opt_.maxRetries);
    retrySeq_ = seq;
    retryAt_ = Clock::now() + detail::retryBackoff(opt_, failures_);
  }

  static int64_t after(const Transfer& t) { return t.seq >= 0 ? t.seq + 1 : kNextSeq; }

  // What the last round of I/O changed: start, promote, jump, retry or end.
  void step() {
    if (!handlerError_.empty())
      return finish(ChannelEnd::Failed, "a handler threw: " + handlerError_);
    const auto now = Clock::now();
    if (!cur_ && retryAt_ && now >= *retryAt_) {
      retryAt_.reset();
      cur_ = open(retrySeq_);
      if (!cur_) return retryLater(retrySeq_, "cannot create a transfer");
    }
    // A GET still without headers is re-issued now and then: its connection may be dead.
    for (auto* slot : {&cur_, &next_}) {
      auto& t = *slot;
      if (t && !t->head.done && !t->done && now - t->issued >= opt_.refreshInterval) {
        const int64_t seq = t->requested;
        t = open(seq);
        if (!t && slot == &cur_) return retryLater(seq, "cannot create a transfer");
      }
    }
    while (cur_ && !ended_) {
      Transfer& t = *cur_;
      if (t.head.done && !t.started) {
        if (t.head.closed) return finish(ChannelEnd::Closed, "the channel was closed");
        if (t.head.status == 404) return finish(ChannelEnd::NotFound, "404: no such channel");
        if (t.head.status == kStatusSeqGone) {
          const auto latest = parseSeq(t.head.latest);
          const int64_t to = latest && *latest >= 0 ? *latest : kNextSeq;
          {
            std::lock_guard lock(statsMu_);
            ++stats_.jumps;
          }
          if (++jumpsInRow_ > opt_.maxRetries + 1)
            return retryLater(to, "470 again and again (latest " + logSafe(t.head.latest) + ")");
          spdlog::debug("trickle subscriber {}: seq {} is gone, jumping to {}", logSafe(url_),
                        t.requested, to);
          next_.reset();
          cur_ = open(to);
          if (!cur_) return retryLater(to, "cannot create a transfer");
          continue;
        }
        if (t.head.status != 200)
          return retryLater(t.requested,
                            "HTTP " + std::to_string(t.head.status) + " " + t.errorBody);
        begin(t);
      }
      if (t.started && !t.preconnected) {
        t.preconnected = true;
        next_ = open(after(t));
      }
      if (!t.done) break;
      if (!t.started) return retryLater(t.requested, t.why());
      // The segment is over: complete, or cut short.
      const int64_t nextSeq = after(t);
      if (t.result == CURLE_OK) {
        {
          std::lock_guard lock(statsMu_);
          ++stats_.segments;
        }
        if (h_.segmentEnded) h_.segmentEnded(t.seq);
      } else {
        const std::string why = t.why();
        CS_LOG_LIMITED(spdlog::level::warn, "trickle subscriber {} seq {} cut short: {}",
                       logSafe(url_), t.seq, logSafe(why));
        if (h_.segmentAborted) h_.segmentAborted(t.seq, why);
        if (++failures_ > opt_.maxRetries)
          return finish(ChannelEnd::Failed, "segment " + std::to_string(t.seq) + ": " + why);
      }
      cur_ = std::move(next_);
      if (!cur_) {
        cur_ = open(nextSeq);
        if (!cur_) return retryLater(nextSeq, "cannot create a transfer");
      }
    }
    if (cur_ && cur_->started && cur_->paused) {
      // Its bytes held back while the previous segment was read: they are next now.
      cur_->paused = false;
      curl_easy_pause(cur_->easy.get(), CURLPAUSE_CONT);
    }
  }

  void markDone() {
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(multi_.get(), &left)) {
      if (m->msg != CURLMSG_DONE) continue;
      for (auto* t : {cur_.get(), next_.get()}) {
        if (t && t->easy.get() == m->easy_handle) {
          t->done = true;
          t->result = m->data.result;
        }
      }
    }
  }

  int pollTimeoutMs() const {
    auto wait = std::chrono::milliseconds(1000);
    const auto now = Clock::now();
    auto until = [&](Clock::time_point at) {
      wait = std::min(
          wait,
          std::max(0ms, std::chrono::duration_cast<std::chrono::milliseconds>(at - now + 1ms)));
    };
    if (retryAt_) until(*retryAt_);
    for (auto* t : {cur_.get(), next_.get()})
      if (t && !t->head.done) until(t->issued + opt_.refreshInterval);
    return static_cast<int>(wait.count());
  }

  void run() {
    try {
      cur_ = open(opt_.startSeq);
      if (!cur_) retryLater(opt_.startSeq, "cannot create a transfer");
      spdlog::debug("trickle subscriber {} from seq {}", logSafe(url_), opt_.startSeq);
      while (!ended_) {
        if (stopping_.load()) {
          finish(ChannelEnd::Stopped, "stopped");
          break;
        }
        int running = 0;
        curl_multi_perform(multi_.get(), &running);
        markDone();
        step();
        if (ended_) break;
        curl_multi_poll(multi_.get(), nullptr, 0, pollTimeoutMs(), nullptr);
      }
    } catch (const std::exception& e) {
      // A handler threw: the channel cannot go on consistently.
      spdlog::error("trickle subscriber {}: {}", logSafe(url_), logSafe(e.what()));
      finish(ChannelEnd::Failed, e.what());
    }
    cur_.reset();
    next_.reset();
  }

  const std::string url_;
  const Options opt_;
  const Handler h_;
  detail::CurlMulti multi_;         // before the transfers: they detach from it when destroyed
  std::unique_ptr<Transfer> cur_;   // the segment being read (or waited for)
  std::unique_ptr<Transfer> next_;  // the next seq, preconnected
  std::optional<Clock::time_point> retryAt_;
  int64_t retrySeq_ = kNextSeq;
  int failures_ = 0;    // in a row, reset by a segment that starts
  int jumpsInRow_ = 0;  // 470s in a row
  bool ended_ = false;
  std::string handlerError_;  // what a handler threw inside a libcurl callback

  std::mutex lifeMu_;
  bool started_ = false;
  std::atomic<bool> stopping_{false};
  std::thread thread_;

  mutable std::mutex statsMu_;
  Stats stats_;
};

TrickleSubscriber::TrickleSubscriber(std::string channelUrl, Options options, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(channelUrl), std::move(options), std::move(handler))) {
}

TrickleSubscriber::~TrickleSubscriber() {
  stop();
}

void TrickleSubscriber::start() {
  impl_->start();
}

void TrickleSubscriber::stop() {
  impl_->stop();
}

TrickleSubscriber::Stats TrickleSubscriber::stats() const {
  return impl_->stats();
}

}  // namespace cs::trickle
