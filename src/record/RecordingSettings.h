#pragma once
#include <filesystem>
#include <string>

namespace cs {

// Where recordings go (--record-dir) and whether every stream is recorded (--record).
struct RecordingSettings {
  std::filesystem::path dir;
  bool recordEveryStream = false;

  // Creates dir when missing and creates, writes and removes a probe file in it. Returns "" when
  // recordings can be written there, else the reason in one line: start-up reports it and stops,
  // a POST that starts a recording answers 500 with it.
  std::string checkWritable() const;
};

}  // namespace cs
