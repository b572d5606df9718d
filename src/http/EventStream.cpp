#include "http/EventStream.h"

namespace cs::http {
namespace {

void appendOneLine(std::string& out, std::string_view field) {
  for (char c : field) out.push_back(c == '\r' || c == '\n' ? ' ' : c);
}

}  // namespace

EventStream::EventStream(size_t maxQueued) : maxQueued_(maxQueued == 0 ? 1 : maxQueued) {}

bool EventStream::send(std::string_view type, std::string_view data) {
  if (type.size() + data.size() > kMaxEventBytes) return false;
  std::string frame;
  frame.reserve(type.size() + data.size() + 16);
  frame += "event: ";
  appendOneLine(frame, type);
  frame += "\ndata: ";
  appendOneLine(frame, data);
  frame += "\n\n";
  std::lock_guard lock(mu_);
  return queueLocked(std::move(frame));
}

bool EventStream::comment(std::string_view text) {
  if (text.size() > kMaxEventBytes) return false;
  std::string frame = ": ";
  appendOneLine(frame, text);
  frame += "\n\n";
  std::lock_guard lock(mu_);
  return queueLocked(std::move(frame));
}

bool EventStream::queueLocked(std::string frame) {
  if (closing_ || detached_) return false;
  if (queue_.size() >= maxQueued_) {
    // The reader is behind: the newest state matters more than the oldest.
    queue_.pop_front();
    ++dropped_;
  }
  queue_.push_back(std::move(frame));
  if (waiting_ && wake_) {
    waiting_ = false;
    wake_();
  }
  return true;
}

void EventStream::close() {
  std::lock_guard lock(mu_);
  if (closing_ || detached_) return;
  closing_ = true;
  if (waiting_ && wake_) {
    waiting_ = false;
    wake_();
  }
}

bool EventStream::isOpen() const {
  std::lock_guard lock(mu_);
  return !closing_ && !detached_;
}

uint64_t EventStream::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

void EventStream::bind(std::function<void()> wake) {
  std::lock_guard lock(mu_);
  if (!detached_) wake_ = std::move(wake);
}

std::string EventStream::take(bool& end) {
  std::lock_guard lock(mu_);
  std::string out;
  for (auto& f : queue_) out += f;
  queue_.clear();
  end = out.empty() && (closing_ || detached_);
  waiting_ = out.empty() && !end;
  return out;
}

void EventStream::detach() {
  std::function<void()> wake;
  {
    std::lock_guard lock(mu_);
    detached_ = true;
    queue_.clear();
    waiting_ = false;
    wake = std::move(wake_);
    wake_ = nullptr;
  }
  // The waker (and the executor it holds) is destroyed here, outside the lock.
}

}  // namespace cs::http
