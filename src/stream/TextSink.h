#pragma once
#include <string>

namespace cs {

// Receives the text a stream's workflow produces (SaveTextTensor): a session's "data" channel.
class TextSink {
 public:
  virtual ~TextSink() = default;
  virtual void sendText(const std::string& text) noexcept = 0;
};

}  // namespace cs
