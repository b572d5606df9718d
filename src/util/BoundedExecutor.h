#pragma once
// A few worker threads with a bounded queue, for control-plane work that may take seconds
// (compiling a workflow, loading its models, warming it up) and must not hold an HTTP worker
// without a deadline. The caller waits up to a deadline; past it the caller gets a ControlError
// and the task's result, whenever it comes, is discarded (never applied).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "util/ControlError.h"

namespace cs {

// Set when the caller stopped waiting: long tasks may poll it and give up early.
using CancelFlag = std::shared_ptr<const std::atomic<bool>>;

class BoundedExecutor {
 public:
  BoundedExecutor(std::string name, unsigned threads, size_t queueCapacity);
  ~BoundedExecutor();  // queued tasks are dropped (their callers get an error); running ones joined
  BoundedExecutor(const BoundedExecutor&) = delete;
  BoundedExecutor& operator=(const BoundedExecutor&) = delete;

  // Runs fn on a worker and waits up to `deadline` for its result. Throws ControlError(Capacity)
  // when the queue is full or the deadline passes (`what` names the work in the message);
  // rethrows what fn throws.
  template <typename T>
  T run(std::function<T(const CancelFlag&)> fn, std::chrono::milliseconds deadline,
        const std::string& what) {
    auto cancel = std::make_shared<std::atomic<bool>>(false);
    auto task = std::make_shared<std::packaged_task<T()>>(
        [fn = std::move(fn), cancel] { return fn(cancel); });
    std::future<T> result = task->get_future();
    submit([task] { (*task)(); }, cancel, what);
    if (result.wait_for(deadline) != std::future_status::ready) {
      cancel->store(true);
      throw ControlError(ErrorKind::Capacity,
                         what + " did not finish within " + std::to_string(deadline.count()) +
                             " ms (--warmup-timeout); it was abandoned");
    }
    return result.get();
  }

  size_t queued() const;

 private:
  struct Item {
    std::function<void()> fn;
    std::shared_ptr<std::atomic<bool>> cancel;
  };
  void submit(std::function<void()> fn, std::shared_ptr<std::atomic<bool>> cancel,
              const std::string& what);

  const std::string name_;
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace cs
