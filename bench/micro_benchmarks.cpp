// Per-frame and per-request costs of the pieces on the hot path.
#include <benchmark/benchmark.h>
#include <gst/gst.h>

#include <vector>

#include "media/LatencyHistogram.h"
#include "media/LatencyTracker.h"
#include "rtc/SdpOffer.h"
#include "workflow/GraphWorkflow.h"

namespace cs {
namespace {

struct Picture {
  Picture(int w, int h) {
    view.width = w;
    view.height = h;
    for (int p = 0; p < 3; ++p) {
      view.strides[p] = view.planeWidth(p);
      data[p].assign(static_cast<size_t>(view.strides[p] * view.planeHeight(p)), 100);
      view.planes[p] = data[p].data();
    }
  }
  std::vector<uint8_t> data[3];
  I420View view;
};

// A whole frame through a workflow as the stream worker runs it: I420 → RGB → graph → I420.
void BM_Workflow(benchmark::State& state, const char* name) {
  NodeContext ctx;
  auto wf = GraphWorkflow::build(name, *builtinWorkflow(name), ctx);
  Picture in(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  Picture out(in.view.width, in.view.height);
  for (auto _ : state) {
    wf->run(in.view);
    wf->write(out.view);
    benchmark::DoNotOptimize(out.data[0].data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_Workflow, invert, "invert")->Args({512, 512})->Args({1280, 720});

const char* kChromiumLikeOffer =
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 104\r\nc=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:abcd\r\na=ice-pwd:aaaaaaaaaaaaaaaaaaaaaaaa\r\n"
    "a=fingerprint:sha-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:"
    "11:22:33:44:55:66:77:88:99\r\na=setup:actpass\r\na=mid:0\r\na=sendonly\r\na=rtcp-mux\r\n"
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
    "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\n"
    "a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n"
    "a=rtpmap:102 H264/90000\r\na=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;"
    "profile-level-id=42001f\r\na=rtpmap:103 rtx/90000\r\na=fmtp:103 apt=102\r\n"
    "a=rtpmap:104 H264/90000\r\na=fmtp:104 level-asymmetry-allowed=1;packetization-mode=1;"
    "profile-level-id=42e01f\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:abcd\r\n"
    "a=ice-pwd:aaaaaaaaaaaaaaaaaaaaaaaa\r\na=fingerprint:sha-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:"
    "55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99\r\na=setup:actpass\r\n"
    "a=mid:1\r\na=sendonly\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\r\n";

void BM_ParseOffer(benchmark::State& state) {
  for (auto _ : state) {
    auto offer = SdpOffer::parse(kChromiumLikeOffer, OfferRole::Publisher);
    benchmark::DoNotOptimize(offer.video());
  }
}
BENCHMARK(BM_ParseOffer);

// /metrics' cost on the media path: one observation per encoded frame (the encoder's streaming
// thread), across the bucket range (fast frames scan few bounds, slow ones all of them).
void BM_LatencyHistogramObserve(benchmark::State& state) {
  LatencyHistogram h;
  const int64_t ns[] = {800'000, 12'000'000, 90'000'000, 3'000'000'000};
  size_t i = 0;
  for (auto _ : state) h.observe(ns[i++ & 3]);
  benchmark::DoNotOptimize(h.snapshot());
}
BENCHMARK(BM_LatencyHistogramObserve);

// The tracker's whole per-frame work (decoded, then encoded: a match in the pending ring), of
// which the histogram observation is a part: its cost in context.
void BM_LatencyTrackerFrame(benchmark::State& state) {
  LatencyTracker t;
  GstClockTime rt = 0;
  for (auto _ : state) {
    t.frameDecoded(rt);
    t.frameEncoded(rt);
    rt += 33'333'333;
  }
}
BENCHMARK(BM_LatencyTrackerFrame);

}  // namespace
}  // namespace cs

int main(int argc, char** argv) {
  gst_init(&argc, &argv);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
