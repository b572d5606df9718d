#pragma once
#include <atomic>

#include "workflow/FrameWorkflow.h"

namespace cs {

// The original's WARMUP_RUNS: a new workflow runs this many frames before it serves viewers, so
// model loading and first-run costs never show up as a gap or a black frame.
inline constexpr int kWarmupRuns = 5;

// Runs `runs` frames through wf on the calling (control) thread, before wf is installed. Uses
// frame when given (the stream's latest picture), else a mid-grey width × height picture. Stops
// early once *cancel is set (the caller stopped waiting: the result will be discarded).
void warmUp(FrameWorkflow& wf, const I420View* frame, int width, int height, int runs = kWarmupRuns,
            const std::atomic<bool>* cancel = nullptr);

}  // namespace cs
