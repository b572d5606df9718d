#pragma once
// A few worker threads with a bounded queue, for control-plane work that may take seconds
// (compiling a workflow, loading its models, warming it up) and must not hold an HTTP worker
// without a deadline. The caller waits up to a deadline; past it the caller gets a ControlError
// and the task's result, whenever it comes, is discarded (never applied).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <string>

#include "util/ControlError.h"
#include "util/WorkerPool.h"

namespace cs {

// Set when the caller stopped waiting: long tasks may poll it and give up early.
using CancelFlag = std::shared_ptr<const std::atomic<bool>>;

class BoundedExecutor {
 public:
  BoundedExecutor(const std::string& name, unsigned threads, size_t queueCapacity)
      : pool_(name, std::max(1u, threads), queueCapacity) {}
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
    // A task whose caller gave up while it waited in the queue is not run at all.
    if (!pool_.tryPost([task, cancel] {
          if (!cancel->load()) (*task)();
        }))
      throw ControlError(ErrorKind::Capacity,
                         what +
                             ": too many workflows are already waiting to be compiled and "
                             "warmed up (or the server is shutting down)");
    if (result.wait_for(deadline) != std::future_status::ready) {
      cancel->store(true);
      throw ControlError(ErrorKind::Capacity, what + " did not finish within " +
                                                  std::to_string(deadline.count()) +
                                                  " ms (--warmup-timeout); it was abandoned");
    }
    return result.get();
  }

 private:
  // The threads and the bounded queue (dropping what is queued at destruction: those callers'
  // futures report a broken promise).
  WorkerPool pool_;
};

}  // namespace cs
