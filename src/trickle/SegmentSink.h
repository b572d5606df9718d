#pragma once
// Where a stream's MPEG-TS output goes, one segment at a time: TrickleEgress writes into it,
// TricklePublisher is what it writes to (a test can collect the bytes instead).
#include <cstddef>
#include <cstdint>

namespace cs::trickle {

class SegmentSink {
 public:
  virtual ~SegmentSink() = default;
  // A new segment: the one open before it (if any) is complete. Called by one thread at a time
  // (the muxer's streaming thread); never blocks.
  virtual void beginSegment() noexcept = 0;
  // Bytes of the open segment, handed on at once (a frame's TS packets leave as soon as they are
  // muxed). Never blocks: past the sink's bound the bytes are dropped and counted.
  virtual void write(const uint8_t* data, size_t size) noexcept = 0;
  // The open segment is complete (the stream's end); the next write needs a beginSegment().
  virtual void endSegment() noexcept = 0;
};

}  // namespace cs::trickle
