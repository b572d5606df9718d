#pragma once
// What a recording reports: a typed struct; JSON is written only at the HTTP edge.
#include <cstdint>
#include <string>
#include <string_view>

namespace cs {

enum class RecordingState {
  Recording,  // accepting media (also while the file is being finalized after stop())
  Stopped,    // stopped on request, or with the stream; the file is complete
  Failed,     // a write error (disk full, I/O error) ended it; the file holds what came before
};

inline std::string_view toString(RecordingState s) {
  switch (s) {
    case RecordingState::Recording:
      return "recording";
    case RecordingState::Stopped:
      return "stopped";
    case RecordingState::Failed:
      return "failed";
  }
  return "?";
}

struct RecordingStatus {
  std::string id;
  std::string streamId;
  std::string path;
  RecordingState state = RecordingState::Recording;
  std::string error;        // why it failed; empty otherwise
  uint64_t bytes = 0;       // the file's size (so far; exact once it is closed)
  uint64_t durationNs = 0;  // end of the last media handed to the muxer, from the file's start
  double startedAt = 0;     // seconds since the Unix epoch
  bool hasAudio = false;    // the file has an Opus track (the stream had audio when it started)
  uint64_t framesWritten = 0;
  uint64_t framesDropped = 0;  // video frames lost (writer behind, after a failure, …)
  uint64_t audioPacketsWritten = 0;
  uint64_t audioPacketsDropped = 0;
};

}  // namespace cs
