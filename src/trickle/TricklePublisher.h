#pragma once
// Writes one trickle channel (go-livepeer's trickle_publisher.go behaviour, on libcurl): each
// segment is a chunked POST to `{channel}/{seq}` from seq 0, its bytes sent as they are written;
// the next seq's POST is preconnected as soon as a segment starts, so a new segment's first bytes
// do not wait for a connection. The server keeps a waiting POST alive with interim 100 Continue
// responses (every 10 s); libcurl takes any number of them. A seq that had bytes written is never
// POSTed again (the server's segments are append-only); one whose POST failed before any byte was
// sent is retried with back-off (ChannelOptions), then the channel has Failed. 404 → NotFound;
// Lp-Trickle-Closed → Closed.
//
// The SegmentSink calls come from GStreamer streaming threads and never wait for the network:
// bytes are copied into a buffer bounded by maxBufferedBytes (past it, whole writes are dropped
// and counted) and the client's thread is woken to send them at once. One thread per publisher
// drives libcurl's multi interface; `ended` is called there.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "trickle/SegmentSink.h"
#include "trickle/TrickleProtocol.h"

namespace cs::trickle {

class TricklePublisher final : public SegmentSink {
 public:
  struct Options : ChannelOptions {
    std::string contentType = "video/MP2T";
    size_t maxBufferedBytes = 16u << 20;
    // close() DELETEs the channel once its bytes are sent. Off for channels whose readers fetch
    // each short message after it is written (events, data): a DELETE right after the last one
    // would take it from a reader that has not asked for it yet. Their owner (the orchestrator)
    // closes them after /stream/stop, and idle channels are swept.
    bool deleteOnClose = true;
  };
  struct Stats {
    uint64_t segments = 0;      // POSTs answered 200
    uint64_t bytes = 0;         // handed to the connection
    uint64_t droppedBytes = 0;  // past the buffer's bound, or of a segment whose POST failed
    uint64_t retries = 0;
    int64_t seq = -1;  // the seq being written (or last written)
  };

  // `ended` (optional) is called exactly once after start(), on the publisher's thread: Closed
  // after close() (or when the server closed the channel), NotFound, Failed, or Stopped.
  TricklePublisher(std::string channelUrl, Options options,
                   std::function<void(ChannelEnd, const std::string& why)> ended);
  ~TricklePublisher() override;
  TricklePublisher(const TricklePublisher&) = delete;
  TricklePublisher& operator=(const TricklePublisher&) = delete;

  void start();  // preconnects seq 0 (a POST whose body is not yet written)

  // SegmentSink. A write() with no segment open begins one.
  void beginSegment() noexcept override;
  void write(const uint8_t* data, size_t size) noexcept override;
  void endSegment() noexcept override;

  // One whole message as one segment (events/data JSON); thread-safe against other publish()
  // calls. Dropped whole (and counted) when it does not fit in the buffer.
  void publish(std::string_view message) noexcept;

  // Ends the open segment, waits (at most `timeout`) until the buffered bytes are sent, DELETEs
  // the channel (unless Options::deleteOnClose is off), joins. Never call it from `ended`.
  void close(std::chrono::milliseconds timeout);
  // Aborts: no DELETE; joins; idempotent. Never call it from `ended`.
  void stop();

  Stats stats() const;  // any thread

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cs::trickle
