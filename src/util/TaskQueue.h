#pragma once
// One worker thread running posted tasks in order. Control-plane work that may take seconds
// (compiling and warming up a workflow) runs here instead of on webrtcbin's or GLib's threads.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace cs {

class TaskQueue {
 public:
  explicit TaskQueue(const std::string& name);
  ~TaskQueue();  // runs what is queued, then joins
  TaskQueue(const TaskQueue&) = delete;
  TaskQueue& operator=(const TaskQueue&) = delete;

  void post(std::function<void()> task);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace cs
