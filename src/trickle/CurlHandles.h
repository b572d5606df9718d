#pragma once
// Internal to the trickle clients: RAII owners for libcurl's handles, and its one-time global
// initialisation (curl_global_init is not thread-safe; std::call_once makes it so).
#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <string_view>

#include "trickle/TrickleProtocol.h"

namespace cs::trickle::detail {

inline void curlGlobalInit() {
  static std::once_flag once;
  // Never cleaned up: other threads may still be in curl at static destruction time.
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlEasyDeleter {
  void operator()(CURL* h) const noexcept { curl_easy_cleanup(h); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;

struct CurlMultiDeleter {
  void operator()(CURLM* h) const noexcept { curl_multi_cleanup(h); }
};
using CurlMulti = std::unique_ptr<CURLM, CurlMultiDeleter>;

struct CurlSlistDeleter {
  void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};
class CurlHeaders {
 public:
  void append(const std::string& line) {
    curl_slist* next = curl_slist_append(list_.get(), line.c_str());
    if (next == nullptr) throw std::bad_alloc();
    (void)list_.release();  // now owned by `next`, the list's (unchanged) head
    list_.reset(next);
  }
  curl_slist* get() const noexcept { return list_.get(); }

 private:
  std::unique_ptr<curl_slist, CurlSlistDeleter> list_;
};

// An easy handle attached to a multi handle: removed from it before it is cleaned up (libcurl
// requires that order). Declare the multi handle before these so it outlives them.
class AttachedEasy {
 public:
  AttachedEasy() = default;
  AttachedEasy(CURLM* multi, CurlEasy easy) : multi_(multi), easy_(std::move(easy)) {
    if (curl_multi_add_handle(multi_, easy_.get()) != CURLM_OK) multi_ = nullptr;
  }
  AttachedEasy(AttachedEasy&& o) noexcept : multi_(o.multi_), easy_(std::move(o.easy_)) {
    o.multi_ = nullptr;
  }
  AttachedEasy& operator=(AttachedEasy&& o) noexcept {
    if (this != &o) {
      reset();
      multi_ = o.multi_;
      easy_ = std::move(o.easy_);
      o.multi_ = nullptr;
    }
    return *this;
  }
  AttachedEasy(const AttachedEasy&) = delete;
  AttachedEasy& operator=(const AttachedEasy&) = delete;
  ~AttachedEasy() { reset(); }

  bool attached() const noexcept { return multi_ != nullptr && easy_ != nullptr; }
  CURL* get() const noexcept { return easy_.get(); }
  void reset() noexcept {
    if (multi_ != nullptr && easy_ != nullptr) curl_multi_remove_handle(multi_, easy_.get());
    multi_ = nullptr;
    easy_.reset();
  }

 private:
  CURLM* multi_ = nullptr;
  CurlEasy easy_;
};

// What every trickle request shares. No overall timeout: a segment lasts as long as its stream
// does, and a GET for a segment not yet written legitimately waits for it. A dead peer is noticed
// by TCP keepalive instead (and by the subscriber's refresh of a GET still waiting for headers).
inline void configureEasy(CURL* h, const std::string& url, const ChannelOptions& o) {
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // many threads: no SIGALRM for name resolution
  curl_easy_setopt(h, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.connectTimeout.count()));
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 10L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 5L);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  if (o.insecure) {
    // The orchestrator's certificate is self-signed (go's gateway and pytrickle skip it too).
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }
}

// One header line from CURLOPT_HEADERFUNCTION: its value when its name is `name` (any case).
inline bool headerValue(std::string_view line, std::string_view name, std::string* value) {
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon != name.size()) return false;
  for (size_t i = 0; i < colon; ++i)
    if (std::tolower(static_cast<unsigned char>(line[i])) !=
        std::tolower(static_cast<unsigned char>(name[i])))
      return false;
  std::string_view v = line.substr(colon + 1);
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' '))
    v.remove_suffix(1);
  value->assign(v);
  return true;
}

// A response's status and the trickle headers, from CURLOPT_HEADERFUNCTION's lines. Interim 1xx
// responses (the server's 100 Continue keepalives) come first, any number of them: each status line
// starts over, and only a final (>= 200) response's blank line completes it.
struct ResponseHead {
  bool done = false;
  long status = 0;
  std::string seq, latest;
  bool closed = false;

  void line(std::string_view line, CURL* easy) {
    std::string v;
    if (line.substr(0, 5) == "HTTP/") {
      *this = ResponseHead{};
    } else if (line == "\r\n" || line == "\n") {
      long code = 0;
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
      if (code >= 200) {
        status = code;
        done = true;
      }
    } else if (headerValue(line, kSeqHeader, &v)) {
      seq = v;
    } else if (headerValue(line, kLatestHeader, &v)) {
      latest = v;
    } else if (headerValue(line, kClosedHeader, &v)) {
      closed = true;
    }
  }
};

// The wiring every transfer of both clients shares: an error buffer, the response head parsed
// line by line, the body to `onBody`. `T` has `error` (CURL_ERROR_SIZE), `head` (ResponseHead) and
// `easy`.
template <typename T>
size_t onResponseHeader(char* buffer, size_t size, size_t n, void* user) {
  auto* t = static_cast<T*>(user);
  t->head.line(std::string_view(buffer, size * n), t->easy.get());
  return size * n;
}
template <typename T>
void setResponseHandlers(CURL* h, T* t, curl_write_callback onBody) {
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, t->error);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &onResponseHeader<T>);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, t);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, onBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, t);
}

// A refusal's body ("Entry not found"), kept for the log: at most `max` bytes of it.
inline void appendBounded(std::string& out, const char* data, size_t len, size_t max) {
  out.append(data, std::min(len, max - std::min(max, out.size())));
}

// The back-off before retry number `attempt` (1-based): retryDelay doubled each time, at most 5 s.
inline std::chrono::milliseconds retryBackoff(const ChannelOptions& o, int attempt) {
  auto d = o.retryDelay;
  for (int i = 1; i < attempt && d < std::chrono::milliseconds(5000); ++i) d *= 2;
  return std::min(d, std::chrono::milliseconds(5000));
}

}  // namespace cs::trickle::detail
