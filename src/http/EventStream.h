#pragma once
// A server-sent-events response in progress (WHATWG HTML §9.2, text/event-stream). A route
// answers with one by setting Response::eventStream; the server writes the head, hands the open
// stream to that callback, and from then on writes what is sent, from its I/O thread.
//
// Writers never block: send() queues and returns. The queue is bounded — past it the oldest
// queued event is dropped (counted) — and a reader that stops reading altogether is cut off by
// the server's write deadline, so a slow client costs a bounded amount of memory and no thread.
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

namespace cs::http {

class EventStream {
 public:
  // Longest event (type and data together) send() takes; events are one JSON line.
  static constexpr size_t kMaxEventBytes = 16 * 1024;

  explicit EventStream(size_t maxQueued);
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;

  // Any thread. Queues "event: <type>\ndata: <data>\n\n". CR and LF in either become spaces: a
  // field is one line (WHATWG HTML §9.2.6), and the WHEP events draft wants the data on a single
  // "data:" line. False once the stream is closed, or for an event past kMaxEventBytes.
  bool send(std::string_view type, std::string_view data);
  // Queues ": <text>\n\n", a comment every reader ignores (the server's keep-alive).
  bool comment(std::string_view text);
  // Ends the response once what is queued is written. Any thread; idempotent.
  void close();
  bool isOpen() const;
  uint64_t dropped() const;

  // ---- The server's side ----
  // `wake` is called (with the stream's lock held: it must only post) when something was queued
  // or close() was called while the writer waits for more.
  void bind(std::function<void()> wake);
  // Everything queued, oldest first, as one buffer. Empty: nothing to write; then `end` says
  // whether the response is over, and otherwise the writer waits for `wake`.
  std::string take(bool& end);
  // The connection is gone (or the server stops): drops what is queued and the waker; send()
  // returns false from now on.
  void detach();

 private:
  bool queueLocked(std::string frame);

  const size_t maxQueued_;
  mutable std::mutex mu_;
  std::deque<std::string> queue_;
  std::function<void()> wake_;
  bool waiting_ = false;  // the writer found the queue empty and waits for wake_
  bool closing_ = false;
  bool detached_ = false;
  uint64_t dropped_ = 0;
};

}  // namespace cs::http
