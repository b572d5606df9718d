#pragma once
#include <chrono>
#include <filesystem>
#include <string>

namespace cs {

// Where recordings go (--record-dir) and whether every stream is recorded (--record).
struct RecordingSettings {
  std::filesystem::path dir;
  bool recordEveryStream = false;
  // A recording survives a change of publisher; it stops once its stream has had no publisher
  // for this long (otherwise, as a viewer, it would keep a finished stream alive for ever).
  std::chrono::milliseconds noPublisherTimeout{30'000};

  // Creates dir when missing and creates, writes and removes a probe file in it. Returns "" when
  // recordings can be written there, else the reason in one line: start-up reports it and stops,
  // a POST that starts a recording answers 500 with it.
  std::string checkWritable() const;
};

}  // namespace cs
