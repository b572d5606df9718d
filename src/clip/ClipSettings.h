#pragma once
// What a clip job may cost (--max-clip-*), and how it yields to live streams.
#include <chrono>
#include <cstdint>
#include <filesystem>

namespace cs {

struct ClipLimits {
  // Longer clips fail as soon as a frame past this is decoded (--max-clip-seconds).
  std::chrono::seconds maxDuration{300};
  // The workflow's own limits (--max-image-size, --max-image-pixels) apply to the decoded size.
  int maxWidth = 4096, maxHeight = 4096;
  int64_t maxPixels = int64_t{4096} * 4096;
  // A file that has shown no video frame by then is not a video: fail fast, never hang. Most bad
  // files fail sooner, on the decoder's own error; but decodebin drops the error of a demuxer
  // that fails while it is still being plugged (a truncated MP4 without its index, now and then:
  // docs/CLIPS.md), and then only this deadline ends the job.
  std::chrono::milliseconds firstFrameTimeout{2000};
  // The encoder and muxer must finish this long after the last frame went in.
  std::chrono::milliseconds finishTimeout{30'000};
};

struct ClipSettings {
  std::filesystem::path directory;       // uploads and results: {directory}/{id}.in, {id}.mp4
  unsigned maxJobs = 1;                  // run at once (--max-clip-jobs)
  unsigned maxQueued = 4;                // waiting past maxJobs; beyond, 503 + Retry-After
  uint64_t maxBytes = 256ull << 20;      // one upload (--max-clip-bytes)
  std::chrono::seconds retention{3600};  // finished jobs and their files (--clip-retention)
  ClipLimits limits;
  // Clip threads (the job's and its pipeline's streaming threads) run at this nice value, so the
  // scheduler serves live streams first; x264enc gets this many threads.
  int niceness = 10;
  int encoderThreads = 2;
};

}  // namespace cs
