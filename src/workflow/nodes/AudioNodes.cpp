// Audio nodes (the original comfystream's audio_utils). The server runs an audio workflow once per
// decoded chunk (20 ms of 48 kHz mono): LoadAudioTensor gathers chunks into fixed blocks,
// PitchShifter is librosa.effects.pitch_shift on each block, SaveAudioTensor hands blocks back.
#include <opencv2/core.hpp>
#include <opencv2/core/hal/hal.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "workflow/NodeRegistry.h"

namespace cs {
namespace {

// An output slot as Audio, reusing the Audio (and its sample capacity) left there last run.
Audio& audioSlot(Value& v) {
  if (auto* a = std::get_if<Audio>(&v)) return *a;
  return v.emplace<Audio>();
}

// The original's int(sample_rate * buffer_size / 1000), at least one sample.
size_t blockSamples(int sampleRate, double ms) {
  const double n = sampleRate * ms / 1000.0;
  return n >= 1.0 ? static_cast<size_t>(n) : 1;
}

class LoadAudioTensor final : public Node {
 public:
  void configure(const NodeArgs& in, NodeContext&) override {
    // Room for a block plus a few chunks at the usual 48 kHz, so steady state never grows it.
    if (in.present(0)) buffer_.reserve(blockSamples(48000, in.number(0)) + 8192);
  }

  void run(const NodeArgs& in, std::vector<Value>& out, FrameContext& f) override {
    Audio& block = audioSlot(out[0]);
    block.samples.clear();
    if (const Audio* chunk = f.inputAudio;
        chunk && chunk->sampleRate > 0 && !chunk->samples.empty()) {
      // The original raises on a rate change; a live stream is better served by starting over.
      if (chunk->sampleRate != sampleRate_) {
        buffer_.clear();
        sampleRate_ = chunk->sampleRate;
      }
      buffer_.insert(buffer_.end(), chunk->samples.begin(), chunk->samples.end());
    }
    block.sampleRate = sampleRate_;
    const size_t need = blockSamples(sampleRate_, in.number(0));
    if (buffer_.size() < need) return;
    // One block per run; all complete blocks when a chunk is longer than a block, so a
    // buffer_size shorter than the chunk cannot make the backlog (and latency) grow forever.
    size_t take = need;
    if (buffer_.size() - need >= need) take = buffer_.size() / need * need;
    const auto end = buffer_.begin() + static_cast<std::ptrdiff_t>(take);
    block.samples.assign(buffer_.begin(), end);
    buffer_.erase(buffer_.begin(), end);
  }

 private:
  std::vector<float> buffer_;
  int sampleRate_ = 48000;
};

class SaveAudioTensor final : public Node {
 public:
  void run(const NodeArgs& in, std::vector<Value>&, FrameContext& f) override {
    const Audio& a = in.audio(0);
    if (!f.outputAudio || a.samples.empty()) return;
    Audio& dst = *f.outputAudio;
    if (dst.samples.empty()) dst.sampleRate = a.sampleRate;
    const size_t at = dst.samples.size();
    dst.samples.resize(at + a.samples.size());
    // The stream wants [-1, 1] (the original converts to int16 here); NaN becomes silence.
    std::transform(a.samples.begin(), a.samples.end(),
                   dst.samples.begin() + static_cast<std::ptrdiff_t>(at),
                   [](float v) { return v == v ? std::clamp(v, -1.f, 1.f) : 0.f; });
  }
};

// librosa.effects.pitch_shift(y, sr, n_steps) with librosa's defaults, per block:
//   rate = 2^(-n_steps/12)
//   time_stretch: stft (n_fft 2048, hop 512, periodic Hann, centred, zero padded), phase_vocoder
//     at `rate`, istft to round(len/rate) samples;
//   resample from sr/rate to sr (soxr_hq there, a Kaiser-windowed sinc here: flat to 0.85 of the
//     lower Nyquist, -82 dB from it on), cut to len(y).
// As in the original each block is processed on its own, with librosa's edges: the phase
// vocoder interpolates towards two silent frames past the end, so the last ~10 ms of a block
// fade out. The phase accumulator is kept as a unit phasor (librosa: float32 angles), equal
// modulo 2π up to rounding.
// Every buffer is a member sized on first use (the resampling filter bank when the shift
// changes), so steady-state blocks allocate nothing of ours.
class PitchShifter final : public Node {
 public:
  static constexpr int kFft = 2048, kHop = 512, kBins = kFft / 2 + 1;

  PitchShifter() {
    window_.resize(kFft);
    for (int i = 0; i < kFft; ++i)
      window_[i] = static_cast<float>(0.5 - 0.5 * std::cos(2 * std::numbers::pi * i / kFft));
  }

  void configure(const NodeArgs& in, NodeContext&) override {
    if (in.present(1) && in.number(1) != 0) prepareResampler(std::pow(2.0, -in.number(1) / 12.0));
  }

  void run(const NodeArgs& in, std::vector<Value>& out, FrameContext&) override {
    const Audio& src = in.audio(0);
    Audio& dst = audioSlot(out[0]);
    dst.sampleRate = src.sampleRate;
    const double steps = in.number(1);
    if (src.samples.empty()) {
      dst.samples.clear();
    } else if (steps == 0 || !std::isfinite(steps)) {
      // librosa's pipeline at rate 1 reproduces its input up to rounding.
      dst.samples.assign(src.samples.begin(), src.samples.end());
    } else {
      shift(src.samples, std::pow(2.0, -steps / 12.0), dst.samples);
    }
  }

 private:
  // Resampling kernel: sinc under a Kaiser window, kZeros zero crossings each side, cut off at
  // kRolloff of the lower Nyquist (~80 dB stop band from the Nyquist on); kPhases fractional
  // delays, interpolated linearly.
  static constexpr int kZeros = 32, kPhases = 512;
  static constexpr double kBeta = 8.0, kRolloff = 0.92;

  static double besselI0(double x) {
    double sum = 1, term = 1;
    for (int k = 1; k < 64; ++k) {
      term *= (x / (2 * k)) * (x / (2 * k));
      sum += term;
      if (term < sum * 1e-17) break;
    }
    return sum;
  }

  // The filter bank for output/input rate `rate`: row p holds the taps for an output that falls
  // p/kPhases of a sample after input `base`, tap i weighting input base - half + 1 + i.
  void prepareResampler(double rate) {
    if (rate == bankRate_) return;
    const double cutoff = std::min(1.0, rate) * kRolloff;  // of the input Nyquist
    half_ = static_cast<int>(std::ceil(kZeros / cutoff));
    taps_ = 2 * half_;
    bank_.assign(static_cast<size_t>(kPhases + 1) * static_cast<size_t>(taps_), 0.f);
    const double i0beta = besselI0(kBeta);
    for (int p = 0; p <= kPhases; ++p) {
      const double frac = static_cast<double>(p) / kPhases;
      for (int i = 0; i < taps_; ++i) {
        const double x = std::abs((i - half_ + 1) - frac) * cutoff;  // in zero crossings
        if (x >= kZeros) continue;
        const double r = x / kZeros;
        const double sinc = x == 0 ? 1.0 : std::sin(std::numbers::pi * x) / (std::numbers::pi * x);
        bank_[static_cast<size_t>(p * taps_ + i)] =
            static_cast<float>(cutoff * sinc * besselI0(kBeta * std::sqrt(1 - r * r)) / i0beta);
      }
    }
    bankRate_ = rate;
  }

  // cv::dft(src, dst, DFT_ROWS [| DFT_INVERSE | DFT_SCALE]) on kFft-wide real rows, with the plan
  // kept while the row count stays: cv::dft plans (and allocates) on every call.
  struct Plan {
    cv::Ptr<cv::hal::DFT2D> dft;
    int rows = -1;
  };
  static void dft(Plan& plan, const cv::Mat& src, cv::Mat& dst, int flags) {
    CV_Assert(src.isContinuous() && dst.isContinuous() && src.rows == dst.rows);
    if (plan.rows != src.rows) {
      plan.dft = cv::hal::DFT2D::create(kFft, src.rows, CV_32F, 1, 1,
                                        flags | CV_HAL_DFT_ROWS | CV_HAL_DFT_IS_CONTINUOUS);
      plan.rows = src.rows;
    }
    plan.dft->apply(src.data, src.step, dst.data, dst.step);
  }

  // The first `n` rows of a kFft-wide float matrix kept in `m`, grown only when too small.
  static cv::Mat rows(cv::Mat& m, int n) {
    if (m.rows < n) m.create(n + 8, kFft, CV_32F);
    return m.rowRange(0, n);
  }

  void shift(const std::vector<float>& y, double rate, std::vector<float>& result) {
    const int len = static_cast<int>(y.size());

    // 1. STFT, centred: frame t covers y[t*hop - fft/2, t*hop + fft/2).
    const int nIn = 1 + len / kHop;
    cv::Mat frames = rows(framesIn_, nIn);
    for (int t = 0; t < nIn; ++t) {
      float* row = frames.ptr<float>(t);
      const int start = t * kHop - kFft / 2;
      for (int i = 0; i < kFft; ++i) {
        const int j = start + i;
        row[i] = j >= 0 && j < len ? y[static_cast<size_t>(j)] * window_[i] : 0.f;
      }
    }
    cv::Mat spec = rows(specIn_, nIn);
    dft(forward_, frames, spec, 0);  // CCS rows: Re0, Re1, Im1, …, Re(n/2)

    // Per frame and bin: magnitude and unit phasor (angle 0 for silence), then two silent frames
    // as librosa pads.
    const size_t cells = static_cast<size_t>(nIn + 2) * kBins;
    mag_.resize(cells);
    unitRe_.resize(cells);
    unitIm_.resize(cells);
    std::fill(mag_.begin() + static_cast<std::ptrdiff_t>(nIn) * kBins, mag_.end(), 0.f);
    std::fill(unitRe_.begin() + static_cast<std::ptrdiff_t>(nIn) * kBins, unitRe_.end(), 1.f);
    std::fill(unitIm_.begin() + static_cast<std::ptrdiff_t>(nIn) * kBins, unitIm_.end(), 0.f);
    for (int t = 0; t < nIn; ++t) {
      const float* s = spec.ptr<float>(t);
      const size_t at = static_cast<size_t>(t) * kBins;
      for (int k = 0; k < kBins; ++k) {
        const float re = k == 0 ? s[0] : k == kBins - 1 ? s[kFft - 1] : s[2 * k - 1];
        const float im = k == 0 || k == kBins - 1 ? 0.f : s[2 * k];
        const float m = std::sqrt(re * re + im * im);
        mag_[at + k] = m;
        unitRe_[at + k] = m > 0 ? re / m : 1.f;
        unitIm_[at + k] = m > 0 ? im / m : 0.f;
      }
    }

    // 2. Phase vocoder: output frames at time steps 0, rate, 2·rate, … < nIn; magnitudes
    // interpolated between the two frames around the step, phase advanced by their phase
    // difference. librosa accumulates angles (wrapping the deviation from the bin's nominal
    // advance); modulo 2π that is this product of unit phasors, without trigonometry.
    const int nOut = static_cast<int>(std::ceil(nIn / rate));
    cv::Mat outSpec = rows(specOut_, nOut);
    accRe_.assign(unitRe_.begin(), unitRe_.begin() + kBins);
    accIm_.assign(unitIm_.begin(), unitIm_.begin() + kBins);
    for (int t = 0; t < nOut; ++t) {
      const double step = t * rate;
      const int i = static_cast<int>(step);
      const float alpha = static_cast<float>(step - i);
      const size_t a0 = static_cast<size_t>(i) * kBins, a1 = a0 + kBins;
      float* o = outSpec.ptr<float>(t);
      for (int k = 0; k < kBins; ++k) {
        const float mag = (1.f - alpha) * mag_[a0 + k] + alpha * mag_[a1 + k];
        const float re = mag * accRe_[k], im = mag * accIm_[k];
        if (k == 0)
          o[0] = re;
        else if (k == kBins - 1)
          o[kFft - 1] = re;
        else {
          o[2 * k - 1] = re;
          o[2 * k] = im;
        }
        // acc *= u1 * conj(u0), renormalised against rounding drift.
        const float dRe = unitRe_[a1 + k] * unitRe_[a0 + k] + unitIm_[a1 + k] * unitIm_[a0 + k];
        const float dIm = unitIm_[a1 + k] * unitRe_[a0 + k] - unitRe_[a1 + k] * unitIm_[a0 + k];
        const float nRe = accRe_[k] * dRe - accIm_[k] * dIm;
        const float nIm = accRe_[k] * dIm + accIm_[k] * dRe;
        const float norm = 1.f / std::sqrt(nRe * nRe + nIm * nIm);
        accRe_[k] = nRe * norm;
        accIm_[k] = nIm * norm;
      }
    }

    // 3. ISTFT to round(len/rate) samples: overlap-add of windowed inverse frames over the summed
    // squared window, dropping the centring pad. Stored with `half_` zeros each side for step 4.
    prepareResampler(rate);
    const int lenStretch = static_cast<int>(std::nearbyint(len / rate));
    const int nUse =
        std::min(nOut, static_cast<int>(std::ceil(static_cast<double>(lenStretch + kFft) / kHop)));
    cv::Mat outFrames = rows(framesOut_, nUse);
    dft(inverse_, outSpec.rowRange(0, nUse), outFrames, CV_HAL_DFT_INVERSE | CV_HAL_DFT_SCALE);
    const size_t olaLen = static_cast<size_t>(kFft + kHop * (nUse - 1));
    ola_.assign(olaLen, 0.f);
    wss_.assign(olaLen, 0.f);
    for (int t = 0; t < nUse; ++t) {
      const float* f = outFrames.ptr<float>(t);
      float* o = &ola_[static_cast<size_t>(t) * kHop];
      float* w = &wss_[static_cast<size_t>(t) * kHop];
      for (int i = 0; i < kFft; ++i) {
        o[i] += f[i] * window_[i];
        w[i] += window_[i] * window_[i];
      }
    }
    stretched_.assign(static_cast<size_t>(lenStretch + 2 * half_ + 1), 0.f);
    float* st = stretched_.data() + half_;
    for (int i = 0; i < lenStretch; ++i) {
      const size_t j = static_cast<size_t>(i + kFft / 2);
      if (j >= olaLen) break;
      st[i] = wss_[j] > 1.17549435e-38f ? ola_[j] / wss_[j] : ola_[j];
    }

    // 4. Resample by `rate`: output sample j sits at stretched position j/rate.
    result.resize(static_cast<size_t>(len));
    for (int j = 0; j < len; ++j) {
      const double pos = j / rate;
      const int base = static_cast<int>(pos);
      const double ph = (pos - base) * kPhases;
      const int p = std::min(static_cast<int>(ph), kPhases - 1);
      const float fr = static_cast<float>(ph - p);
      const float* b0 = &bank_[static_cast<size_t>(p * taps_)];
      const float* b1 = b0 + taps_;
      const float* x = st + base - half_ + 1;  // >= stretched_.data(): zeros before the signal
      const int n = std::min(taps_, lenStretch + half_ - (base - half_ + 1));  // within the buffer
      float acc[8] = {};
      int i = 0;
      for (; i + 8 <= n; i += 8)
        for (int l = 0; l < 8; ++l) acc[l] += x[i + l] * (b0[i + l] + fr * (b1[i + l] - b0[i + l]));
      float sum = 0;
      for (; i < n; ++i) sum += x[i] * (b0[i] + fr * (b1[i] - b0[i]));
      for (float a : acc) sum += a;
      result[static_cast<size_t>(j)] = sum;
    }
  }

  std::vector<float> window_, bank_;
  double bankRate_ = 0;
  int half_ = 0, taps_ = 0;
  cv::Mat framesIn_, specIn_, specOut_, framesOut_;
  Plan forward_, inverse_;
  std::vector<float> mag_, unitRe_, unitIm_, accRe_, accIm_, ola_, wss_, stretched_;
};

}  // namespace

void registerAudioNodes(NodeRegistry& r) {
  NodeSpec load{"LoadAudioTensor", "ComfyStream/Loaders",
                "The stream's audio in fixed blocks: gathers the incoming chunks (20 ms of 48 kHz "
                "mono) and outputs exactly buffer_size ms once that much is buffered, keeping the "
                "rest for the next block; until then the output is empty and nodes after it output "
                "nothing. A sample-rate change discards what is buffered."};
  load.number("buffer_size", 500.0, 1.0, 5000.0)
      .doc(
          "Block length in milliseconds (sample_rate·buffer_size/1000 samples); also the added "
          "latency. A buffer_size shorter than one chunk outputs every complete block at once.")
      .number("timeout_seconds", 1.0, 0.1, 30.0)
      .optional()
      .doc(
          "Accepted for compatibility and ignored: the graph runs when audio arrives, so it never "
          "waits for input.")
      .output("audio", ValueType::Audio);
  r.add(load, [] { return std::make_unique<LoadAudioTensor>(); });

  NodeSpec save{"SaveAudioTensor", "audio_utils",
                "Sends the audio to the stream's listeners (an empty block sends nothing)."};
  save.audio("audio").doc("Mono audio to play out; samples are clipped to [-1, 1].");
  save.outputNode = true;
  r.add(save, [] { return std::make_unique<SaveAudioTensor>(); });

  NodeSpec pitch{
      "PitchShifter", "audio_utils",
      "Raises the pitch without changing the duration, as librosa.effects.pitch_shift: "
      "phase-vocoder time stretch by 2^(n/12) (STFT 2048/512, Hann), then resampling back "
      "to the input length. Each block is shifted on its own, as in the original (its last few ms "
      "fade, as librosa's time stretch does at a signal's end)."};
  pitch.audio("audio")
      .doc("Mono audio block (from LoadAudioTensor); an empty block gives an empty block.")
      .number("pitch_shift", 4.0, 0.0, 12.0)
      .doc("Shift in semitones: 12 is an octave up, 0 returns the input unchanged.")
      .output("AUDIO", ValueType::Audio);
  r.add(pitch, [] { return std::make_unique<PitchShifter>(); });
}

}  // namespace cs
