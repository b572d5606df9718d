#include "util/MainLoop.h"

#include <future>

namespace cs {
namespace {

gboolean runOnce(gpointer data) {
  (*static_cast<std::function<void()>*>(data))();
  return G_SOURCE_REMOVE;
}
void deleteFn(gpointer data) {
  delete static_cast<std::function<void()>*>(data);
}

gboolean runRepeating(gpointer data) {
  return (*static_cast<std::function<bool()>*>(data))() ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}
void deleteRepeating(gpointer data) {
  delete static_cast<std::function<bool()>*>(data);
}

}  // namespace

MainLoop::MainLoop() {
  // The default context: gst_bus_add_watch() attaches there.
  context_ = g_main_context_default();
  loop_ = g_main_loop_new(context_, FALSE);
  std::promise<void> started;
  thread_ = std::thread([this, &started] {
    g_main_context_push_thread_default(context_);
    started.set_value();
    g_main_loop_run(loop_);
    g_main_context_pop_thread_default(context_);
  });
  threadId_ = thread_.get_id();
  started.get_future().wait();
}

MainLoop::~MainLoop() {
  g_main_loop_quit(loop_);
  // Wake the loop in case it sleeps in poll().
  g_main_context_wakeup(context_);
  if (thread_.joinable()) thread_.join();
  g_main_loop_unref(loop_);
}

void MainLoop::post(std::function<void()> fn) {
  GSource* src = g_idle_source_new();
  g_source_set_priority(src, G_PRIORITY_DEFAULT);
  g_source_set_callback(src, runOnce, new std::function<void()>(std::move(fn)), deleteFn);
  g_source_attach(src, context_);
  g_source_unref(src);
}

void MainLoop::invokeSync(const std::function<void()>& fn) {
  if (onLoopThread()) {
    fn();
    return;
  }
  std::promise<void> done;
  post([&] {
    // An exception must not unwind through GLib's C frames: carry it back to the caller.
    try {
      fn();
      done.set_value();
    } catch (...) {
      done.set_exception(std::current_exception());
    }
  });
  done.get_future().get();
}

void MainLoop::every(std::chrono::milliseconds interval, std::function<bool()> fn) {
  GSource* src = g_timeout_source_new(static_cast<guint>(interval.count()));
  g_source_set_callback(src, runRepeating, new std::function<bool()>(std::move(fn)),
                        deleteRepeating);
  g_source_attach(src, context_);
  g_source_unref(src);
}

void MainLoop::after(std::chrono::milliseconds delay, std::function<void()> fn) {
  GSource* src = g_timeout_source_new(static_cast<guint>(delay.count()));
  g_source_set_callback(src, runOnce, new std::function<void()>(std::move(fn)), deleteFn);
  g_source_attach(src, context_);
  g_source_unref(src);
}

}  // namespace cs
