// PitchShifter (librosa.effects.pitch_shift) on known signals: frequency moves by n semitones,
// length and level stay.
#include <gtest/gtest.h>

#include <cstdio>

#include "AudioTestUtil.h"

namespace cs::test {
namespace {

Audio shifted(const Audio& in, double steps) {
  AudioNodeHarness pitch("PitchShifter", {{"audio", in}, {"pitch_shift", steps}});
  return pitch.run();
}

class PitchShifterSine : public ::testing::TestWithParam<double> {};

TEST_P(PitchShifterSine, MovesA440HzSineBySemitones) {
  const double steps = GetParam();
  const Audio in = sine(440, 24000);  // one 500 ms block
  const Audio out = shifted(in, steps);
  ASSERT_EQ(out.samples.size(), in.samples.size());
  EXPECT_EQ(out.sampleRate, 48000);
  ASSERT_TRUE(allFinite(out.samples));
  const double want = semitones(440, steps);
  // Away from the block edges, where the STFT sees its zero padding.
  const double hz = dominantHz(out.samples, 48000, 2048, 24000 - 2048);
  EXPECT_NEAR(hz, want, want * 0.02) << steps << " semitones";
  const double level = rms(out.samples, 2048, 24000 - 2048) / rms(in.samples);
  EXPECT_GT(level, 0.7) << steps;
  EXPECT_LT(level, 1.3) << steps;
  std::printf("[ pitch %+5.1f ] %.2f Hz (want %.2f), level %.3f of the input\n", steps, hz, want,
              level);
}

INSTANTIATE_TEST_SUITE_P(Steps, PitchShifterSine, ::testing::Values(0.0, 1.0, 4.0, 7.0, 12.0));

TEST(PitchShifter, ZeroStepsIsTheInput) {
  const Audio in = sine(440, 24000);
  EXPECT_EQ(shifted(in, 0).samples, in.samples);
}

TEST(PitchShifter, EmptyInEmptyOut) {
  Audio empty;
  empty.sampleRate = 16000;
  const Audio out = shifted(empty, 7);
  EXPECT_TRUE(out.samples.empty());
  EXPECT_EQ(out.sampleRate, 16000);
}

TEST(PitchShifter, KeepsTheLengthOfAnyBlock) {
  for (size_t n : {1u, 7u, 511u, 960u, 2047u, 2048u, 24000u, 33333u}) {
    const Audio out = shifted(sine(440, n), 5.5);
    EXPECT_EQ(out.samples.size(), n);
    EXPECT_TRUE(allFinite(out.samples)) << n;
  }
}

TEST(PitchShifter, WorksAtOtherSampleRates) {
  const Audio in = sine(300, 8000, 16000);
  const Audio out = shifted(in, 12);
  EXPECT_EQ(out.sampleRate, 16000);
  EXPECT_NEAR(dominantHz(out.samples, 16000, 1024, 8000 - 1024), 600, 12);
}

TEST(PitchShifter, TwoTonesBothMove) {
  Audio in = sine(300, 24000, 48000, 0.3);
  const Audio b = sine(1000, 24000, 48000, 0.3);
  for (size_t i = 0; i < in.samples.size(); ++i) in.samples[i] += b.samples[i];
  const Audio out = shifted(in, 12);
  // The strongest partial is one of the doubled tones, and neither original is left.
  const double hz = dominantHz(out.samples, 48000, 2048, 24000 - 2048);
  EXPECT_TRUE(std::abs(hz - 600) < 12 || std::abs(hz - 2000) < 40) << hz;
}

TEST(PitchShifter, BlocksAreIndependentAndRepeatable) {
  AudioNodeHarness pitch("PitchShifter", {{"pitch_shift", 7.0}});
  const Audio a = sine(440, 24000), b = sine(250, 12000);
  pitch.set("audio", a);
  const std::vector<float> first = pitch.run().samples;
  pitch.set("audio", b);
  EXPECT_EQ(pitch.run().samples.size(), 12000u);
  pitch.set("audio", a);
  EXPECT_EQ(pitch.run().samples, first);  // reused buffers leave nothing behind
}

TEST(PitchShifter, SilenceStaysSilent) {
  Audio in;
  in.samples.assign(24000, 0.f);
  const Audio out = shifted(in, 4);
  EXPECT_EQ(rms(out.samples), 0);
}

}  // namespace
}  // namespace cs::test
