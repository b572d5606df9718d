// LoadAudioTensor (block buffering across runs) and SaveAudioTensor (appends to the frame's
// output), against the original's nodes/audio_utils semantics.
#include <gtest/gtest.h>

#include "AudioTestUtil.h"

namespace cs::test {
namespace {

// Chunk `index` of a ramp: sample i of the stream is i / 1e5, so order and values are checkable.
Audio rampChunk(size_t index, size_t n = 960, int sr = 48000) {
  Audio a;
  a.sampleRate = sr;
  for (size_t i = 0; i < n; ++i) a.samples.push_back(static_cast<float>((index * n + i) * 1e-5));
  return a;
}

void expectRamp(const std::vector<float>& s, size_t firstSample) {
  for (size_t i = 0; i < s.size(); ++i)
    ASSERT_EQ(s[i], static_cast<float>((firstSample + i) * 1e-5)) << "sample " << i;
}

TEST(AudioNodes, LoadAudioTensorEmitsOneBlockAfterBufferSizeMs) {
  AudioNodeHarness load("LoadAudioTensor", {});  // buffer_size 500 ms
  for (size_t c = 0; c < 24; ++c) {
    const Audio chunk = rampChunk(c);
    EXPECT_TRUE(load.run(&chunk).samples.empty()) << "chunk " << c;
  }
  const Audio last = rampChunk(24);
  const Audio& block = load.run(&last);
  ASSERT_EQ(block.samples.size(), 24000u);
  EXPECT_EQ(block.sampleRate, 48000);
  expectRamp(block.samples, 0);
  // The next block needs another 25 chunks.
  for (size_t c = 25; c < 49; ++c) {
    const Audio chunk = rampChunk(c);
    EXPECT_TRUE(load.run(&chunk).samples.empty()) << "chunk " << c;
  }
  const Audio more = rampChunk(49);
  ASSERT_EQ(load.run(&more).samples.size(), 24000u);
  expectRamp(load.run(nullptr).samples, 0);  // a run without input outputs nothing new
}

TEST(AudioNodes, LoadAudioTensorKeepsTheRemainderInOrder) {
  AudioNodeHarness load("LoadAudioTensor", {{"buffer_size", 30.0}});  // 1440 samples
  std::vector<float> all;
  std::vector<size_t> sizes;
  for (size_t c = 0; c < 6; ++c) {
    const Audio chunk = rampChunk(c);
    const Audio& out = load.run(&chunk);
    sizes.push_back(out.samples.size());
    all.insert(all.end(), out.samples.begin(), out.samples.end());
  }
  // 960, 1920→1440+480, 1440→1440+0, 960, 1920→1440+480, 1440→1440+0
  EXPECT_EQ(sizes, (std::vector<size_t>{0, 1440, 1440, 0, 1440, 1440}));
  expectRamp(all, 0);
}

TEST(AudioNodes, LoadAudioTensorBlockSizeFollowsTheSampleRate) {
  AudioNodeHarness load("LoadAudioTensor", {{"buffer_size", 100.0}});
  for (size_t c = 0; c < 9; ++c) {
    const Audio chunk = rampChunk(c, 160, 16000);  // 10 ms at 16 kHz
    EXPECT_TRUE(load.run(&chunk).samples.empty());
  }
  const Audio chunk = rampChunk(9, 160, 16000);
  const Audio& out = load.run(&chunk);
  EXPECT_EQ(out.samples.size(), 1600u);
  EXPECT_EQ(out.sampleRate, 16000);
}

TEST(AudioNodes, LoadAudioTensorResetsOnSampleRateChange) {
  AudioNodeHarness load("LoadAudioTensor", {{"buffer_size", 40.0}});
  const Audio first = rampChunk(0);  // 960 of the 1920 needed at 48 kHz
  EXPECT_TRUE(load.run(&first).samples.empty());
  // 16 kHz: the 48 kHz samples are dropped, a block is 640 samples.
  const Audio a = rampChunk(1, 320, 16000);
  EXPECT_TRUE(load.run(&a).samples.empty());
  const Audio b = rampChunk(2, 320, 16000);
  const Audio& out = load.run(&b);
  ASSERT_EQ(out.samples.size(), 640u);
  EXPECT_EQ(out.sampleRate, 16000);
  expectRamp(out.samples, 320);
}

TEST(AudioNodes, LoadAudioTensorShorterThanAChunkOutputsEveryCompleteBlock) {
  AudioNodeHarness load("LoadAudioTensor", {{"buffer_size", 7.0}});  // 336 samples < 960
  std::vector<float> all;
  for (size_t c = 0; c < 50; ++c) {
    const Audio chunk = rampChunk(c);
    const Audio& out = load.run(&chunk);
    EXPECT_EQ(out.samples.size() % 336, 0u);
    all.insert(all.end(), out.samples.begin(), out.samples.end());
  }
  // Nothing piles up: less than one block is left behind.
  EXPECT_GT(all.size(), 50u * 960 - 336);
  expectRamp(all, 0);
}

TEST(AudioNodes, LoadAudioTensorIgnoresMissingAndEmptyInput) {
  AudioNodeHarness load("LoadAudioTensor", {{"buffer_size", 20.0}});
  EXPECT_TRUE(load.run(nullptr).samples.empty());
  const Audio empty;
  EXPECT_TRUE(load.run(&empty).samples.empty());
  const Audio chunk = rampChunk(0);
  EXPECT_EQ(load.run(&chunk).samples.size(), 960u);
}

TEST(AudioNodes, SaveAudioTensorAppendsToTheFrameOutput) {
  AudioNodeHarness save("SaveAudioTensor", {});
  Audio sink;
  sink.sampleRate = 0;
  Audio a;
  a.sampleRate = 16000;
  a.samples = {0.1f, -0.2f};
  save.set("audio", a);
  save.run(nullptr, &sink);
  EXPECT_EQ(sink.sampleRate, 16000);
  EXPECT_EQ(sink.samples, (std::vector<float>{0.1f, -0.2f}));

  save.set("audio", Audio{});  // an empty block appends nothing
  save.run(nullptr, &sink);
  EXPECT_EQ(sink.samples.size(), 2u);

  a.samples = {0.3f, 1.5f, -7.f, std::nanf("")};  // clipped to [-1, 1], NaN silenced
  save.set("audio", a);
  save.run(nullptr, &sink);
  EXPECT_EQ(sink.samples, (std::vector<float>{0.1f, -0.2f, 0.3f, 1.f, -1.f, 0.f}));

  save.run(nullptr, nullptr);  // no sink: nothing to do, no crash
}

TEST(AudioNodes, SpecsAreDocumented) {
  for (const char* type : {"LoadAudioTensor", "SaveAudioTensor", "PitchShifter"}) {
    const auto* e = NodeRegistry::builtin().find(type);
    ASSERT_NE(e, nullptr) << type;
    EXPECT_FALSE(e->spec.description.empty()) << type;
    for (const auto& in : e->spec.inputs) EXPECT_FALSE(in.doc.empty()) << type << "." << in.name;
  }
  const auto& load = NodeRegistry::builtin().find("LoadAudioTensor")->spec;
  ASSERT_EQ(load.inputs.size(), 2u);
  EXPECT_EQ(std::get<double>(load.inputs[0].defaultValue), 500.0);
  EXPECT_FALSE(load.inputs[1].required);
  EXPECT_TRUE(NodeRegistry::builtin().find("SaveAudioTensor")->spec.outputNode);
  const auto& pitch = NodeRegistry::builtin().find("PitchShifter")->spec;
  EXPECT_EQ(std::get<double>(pitch.inputs[1].defaultValue), 4.0);
  EXPECT_EQ(*pitch.inputs[1].min, 0.0);
  EXPECT_EQ(*pitch.inputs[1].max, 12.0);
}

}  // namespace
}  // namespace cs::test
