#include "clip/ThreadPriority.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace cs {
namespace {

// PRIO_PROCESS with a thread id addresses that one thread on Linux (setpriority(2), BUGS).
id_t threadId() noexcept {
  return static_cast<id_t>(::syscall(SYS_gettid));
}

}  // namespace

bool lowerThreadPriority(int niceness) noexcept {
  if (niceness <= 0) return true;
  return ::setpriority(PRIO_PROCESS, threadId(), niceness) == 0;
}

int threadNiceness() noexcept {
  errno = 0;
  return ::getpriority(PRIO_PROCESS, threadId());
}

}  // namespace cs
