#include "util/BoundedExecutor.h"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>

namespace cs {

using namespace std::chrono_literals;

TEST(BoundedExecutor, ReturnsTheResultAndRethrowsErrors) {
  BoundedExecutor ex("test", 1, 4);
  EXPECT_EQ(ex.run<int>([](const CancelFlag&) { return 42; }, 5s, "answer"), 42);
  EXPECT_THROW(
      ex.run<int>([](const CancelFlag&) -> int { throw std::runtime_error("no"); }, 5s, "x"),
      std::runtime_error);
}

TEST(BoundedExecutor, PastTheDeadlineTheCallerGetsCapacityAndTheTaskIsCancelled) {
  BoundedExecutor ex("test", 1, 4);
  std::shared_ptr<const std::atomic<bool>> seen;
  const auto t0 = std::chrono::steady_clock::now();
  try {
    ex.run<int>(
        [&](const CancelFlag& cancel) {
          seen = cancel;
          while (!cancel->load()) std::this_thread::sleep_for(1ms);
          return 1;
        },
        100ms, "slow work");
    FAIL() << "no deadline";
  } catch (const ControlError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Capacity);
    EXPECT_NE(std::string(e.what()).find("slow work did not finish within 100 ms"),
              std::string::npos);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  // The worker sees the cancellation and is free again.
  EXPECT_EQ(ex.run<int>([](const CancelFlag&) { return 7; }, 5s, "next"), 7);
}

TEST(BoundedExecutor, AFullQueueIsCapacity) {
  BoundedExecutor ex("test", 1, 1);
  std::atomic<bool> release{false};
  // One running, one queued: the third is refused at once.
  std::thread a([&] {
    try {
      ex.run<int>(
          [&](const CancelFlag&) {
            while (!release) std::this_thread::sleep_for(1ms);
            return 0;
          },
          5s, "a");
    } catch (...) {
    }
  });
  std::this_thread::sleep_for(50ms);
  std::thread b([&] {
    try {
      ex.run<int>([](const CancelFlag&) { return 0; }, 5s, "b");
    } catch (...) {
    }
  });
  std::this_thread::sleep_for(50ms);
  try {
    ex.run<int>([](const CancelFlag&) { return 0; }, 5s, "c");
    ADD_FAILURE() << "queue not bounded";
  } catch (const ControlError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Capacity);
  }
  release = true;
  a.join();
  b.join();
}

}  // namespace cs
