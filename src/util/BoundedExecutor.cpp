#include "util/BoundedExecutor.h"

#include <pthread.h>

#include <algorithm>

namespace cs {

BoundedExecutor::BoundedExecutor(std::string name, unsigned threads, size_t queueCapacity)
    : name_(std::move(name)), capacity_(queueCapacity) {
  for (unsigned i = 0; i < std::max(1u, threads); ++i)
    workers_.emplace_back([this] {
      pthread_setname_np(pthread_self(), name_.substr(0, 15).c_str());
      for (;;) {
        Item item;
        {
          std::unique_lock lock(mu_);
          cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
          if (stopping_) return;
          item = std::move(queue_.front());
          queue_.pop_front();
        }
        // The caller gave up while this waited in the queue: nobody wants the result. (The
        // packaged task is destroyed unrun; its future is already abandoned.)
        if (item.cancel && item.cancel->load()) continue;
        item.fn();  // a packaged_task: exceptions go to the caller's future
      }
    });
}

BoundedExecutor::~BoundedExecutor() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    queue_.clear();  // broken promises: a caller still waiting gets std::future_error
  }
  cv_.notify_all();
  for (auto& w : workers_) w.join();
}

void BoundedExecutor::submit(std::function<void()> fn, std::shared_ptr<std::atomic<bool>> cancel,
                             const std::string& what) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) throw ControlError(ErrorKind::Capacity, "the server is shutting down");
    if (queue_.size() >= capacity_)
      throw ControlError(ErrorKind::Capacity,
                         what + ": " + std::to_string(queue_.size()) +
                             " workflows are already waiting to be compiled and warmed up");
    queue_.push_back({std::move(fn), std::move(cancel)});
  }
  cv_.notify_one();
}

size_t BoundedExecutor::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

}  // namespace cs
