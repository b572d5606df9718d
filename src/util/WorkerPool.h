#pragma once
// A fixed set of threads with a bounded queue. tryPost() refuses instead of queueing without
// limit, so a flood of slow requests turns into fast 503s rather than unbounded memory and delay.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cs {

class WorkerPool {
 public:
  WorkerPool(const std::string& name, unsigned threads, size_t maxQueued);
  ~WorkerPool();  // drops what is still queued, joins the threads
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  bool tryPost(std::function<void()> task);
  void stop();

 private:
  void run();

  const size_t maxQueued_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace cs
