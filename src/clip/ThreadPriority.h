#pragma once
// Lower scheduling priority for the calling thread only (Linux: nice values are per thread), so
// clip work yields the CPU to live streams' threads, which keep the default.
namespace cs {

// Sets the calling thread's nice value to `niceness` (0..19; raising it needs no privilege).
// Returns false when the kernel refused. Never throws.
bool lowerThreadPriority(int niceness) noexcept;
// The calling thread's nice value.
int threadNiceness() noexcept;

}  // namespace cs
