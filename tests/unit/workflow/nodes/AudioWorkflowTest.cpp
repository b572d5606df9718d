// The original's audio example workflow (LoadAudioTensor → PitchShifter → SaveAudioTensor),
// compiled with the builtin registry and run chunk by chunk as the server does.
#include <gtest/gtest.h>

#include "AudioTestUtil.h"
#include "workflow/CompiledGraph.h"

namespace cs::test {
namespace {

using nlohmann::json;

TEST(AudioWorkflow, PitchShiftExampleRunsChunkByChunk) {
  // As shipped in workflows/comfystream/audio-tensor-utils-example-api.json, extra inputs included
  // (the original's nodes ignore "mode" and "sample_rate"; so does the compiler).
  const json prompt = json::parse(R"({
    "1": {"inputs": {"buffer_size": 500.0, "mode": "sliding-window"}, "class_type": "LoadAudioTensor",
          "_meta": {"title": "Load Audio Tensor"}},
    "2": {"inputs": {"audio": ["1", 0], "sample_rate": ["1", 1], "pitch_shift": 7.0},
          "class_type": "PitchShifter", "_meta": {"title": "Pitch Shift"}},
    "3": {"inputs": {"audio": ["2", 0]}, "class_type": "SaveAudioTensor",
          "_meta": {"title": "Save Audio Tensor"}}
  })");
  NodeContext ctx;
  auto graph = CompiledGraph::compile(prompt, NodeRegistry::builtin(), ctx);
  EXPECT_TRUE(graph->takesAudio());
  EXPECT_TRUE(graph->givesAudio());
  EXPECT_FALSE(graph->takesVideo());

  std::vector<float> played;
  std::vector<size_t> blockAt;
  std::vector<double> pitchMs;
  for (size_t c = 0; c < 100; ++c) {  // 2 s of a continuous 440 Hz tone in 20 ms chunks
    const Audio chunk = sine(440, 960, 48000, 0.5, c * 960);
    Audio out;  // what the server drains after the run
    FrameContext frame;
    frame.inputAudio = &chunk;
    frame.outputAudio = &out;
    graph->run(frame);
    if (!out.samples.empty()) {
      EXPECT_EQ(out.sampleRate, 48000);
      EXPECT_EQ(out.samples.size(), 24000u);
      blockAt.push_back(c);
      for (const auto& t : graph->timings())
        if (t.classType == "PitchShifter") pitchMs.push_back(t.lastMs);
    }
    played.insert(played.end(), out.samples.begin(), out.samples.end());
  }
  EXPECT_EQ(blockAt, (std::vector<size_t>{24, 49, 74, 99}));
  ASSERT_EQ(played.size(), 4u * 24000);
  ASSERT_TRUE(allFinite(played));
  for (size_t b = 0; b < 4; ++b) {
    const double hz = dominantHz(played, 48000, b * 24000 + 2048, (b + 1) * 24000 - 2048);
    EXPECT_NEAR(hz, semitones(440, 7), semitones(440, 7) * 0.02) << "block " << b;
  }
  std::printf("[ cost ] PitchShifter in the graph, ms per 500 ms block:");
  for (double ms : pitchMs) std::printf(" %.2f", ms);
  std::printf("\n");
}

TEST(AudioWorkflow, DefaultPitchShiftIsFourSemitones) {
  const json prompt = {
      {"1", {{"class_type", "LoadAudioTensor"}, {"inputs", {{"buffer_size", 250}}}}},
      {"2",
       {{"class_type", "PitchShifter"}, {"inputs", {{"audio", {"1", 0}}, {"pitch_shift", 4}}}}},
      {"3", {{"class_type", "SaveAudioTensor"}, {"inputs", {{"audio", {"2", 0}}}}}}};
  NodeContext ctx;
  auto graph = CompiledGraph::compile(prompt, NodeRegistry::builtin(), ctx);
  std::vector<float> played;
  for (size_t c = 0; c < 25; ++c) {
    const Audio chunk = sine(440, 960, 48000, 0.5, c * 960);
    Audio out;
    FrameContext frame;
    frame.inputAudio = &chunk;
    frame.outputAudio = &out;
    graph->run(frame);
    played.insert(played.end(), out.samples.begin(), out.samples.end());
  }
  ASSERT_EQ(played.size(), 24000u);  // two 250 ms blocks, the last one after chunk 25
  EXPECT_NEAR(dominantHz(played, 48000, 2048, 12000 - 2048), semitones(440, 4),
              semitones(440, 4) * 0.02);
}

TEST(AudioWorkflow, OutOfRangePitchIsRefused) {
  const json prompt = {
      {"1", {{"class_type", "LoadAudioTensor"}, {"inputs", {{"buffer_size", 500}}}}},
      {"2",
       {{"class_type", "PitchShifter"}, {"inputs", {{"audio", {"1", 0}}, {"pitch_shift", 13}}}}},
      {"3", {{"class_type", "SaveAudioTensor"}, {"inputs", {{"audio", {"2", 0}}}}}}};
  NodeContext ctx;
  EXPECT_ANY_THROW(CompiledGraph::compile(prompt, NodeRegistry::builtin(), ctx));
}

}  // namespace
}  // namespace cs::test
