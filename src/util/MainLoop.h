#pragma once
// The one GLib main loop of the process. Bus watches, timers and every pipeline teardown run on
// it: GStreamer forbids setting a pipeline to NULL from its own streaming threads, and webrtcbin
// deadlocks when its signal handlers block (docs/GSTREAMER-NOTES.md §G14).
#include <glib.h>

#include <chrono>
#include <functional>
#include <thread>

namespace cs {

class MainLoop {
 public:
  MainLoop();
  ~MainLoop();
  MainLoop(const MainLoop&) = delete;
  MainLoop& operator=(const MainLoop&) = delete;

  // Runs fn on the loop thread soon; callable from any thread, never blocks.
  void post(std::function<void()> fn);
  // Runs fn on the loop thread and waits for it. Never call from a streaming thread.
  void invokeSync(const std::function<void()>& fn);
  // Calls fn every interval on the loop thread until fn returns false.
  void every(std::chrono::milliseconds interval, std::function<bool()> fn);
  // Calls fn once after delay on the loop thread.
  void after(std::chrono::milliseconds delay, std::function<void()> fn);

  bool onLoopThread() const { return std::this_thread::get_id() == threadId_; }
  GMainContext* context() const { return context_; }

 private:
  GMainContext* context_;
  GMainLoop* loop_;
  std::thread thread_;
  std::thread::id threadId_;
};

}  // namespace cs
