#!/usr/bin/env bash
# Installs the Debian 12 packages comfystream needs to build, run and test.
# Idempotent: it asks apt only for what dpkg says is missing.
#   scripts/install-deps.sh          build + run
#   scripts/install-deps.sh --test   also the real peers used by the tests
#   scripts/install-deps.sh --torch  also libtorch, for cmake -DCOMFYSTREAM_WITH_TORCH=ON
#                                    (~1.7 GB with python3-torch; flags combine: --test --torch)
set -euo pipefail

build_pkgs=(
  build-essential cmake pkg-config
  # compiler cache: rebuilds, and a CI run in a fresh clone, reuse objects built before
  ccache
  # WebRTC + codecs: webrtcbin (bad), libnice, x264enc (ugly), vp8enc/rtp (good), avdec_h264 (libav)
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-nice libnice-dev
  # HTTP server: Boost.Beast/Asio (event-driven, holds per-connection deadlines and caps)
  libboost1.81-dev
  libcpp-httplib-dev nlohmann-json3-dev libspdlog-dev libcli11-dev libssl-dev
  # BYOC sessions survive restarts in a SQLite database (WAL, one transaction per write)
  libsqlite3-dev
  # the Livepeer trickle client (src/trickle): streaming chunked POSTs and GETs, 1xx, TLS
  libcurl4-openssl-dev
  # workflow engine: libyuv for colour conversion/scaling, OpenCV for image ops and ONNX models
  libyuv-dev libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev libopencv-dnn-dev
)
test_pkgs=(
  libgtest-dev libgmock-dev libbenchmark-dev
  python3-aiortc python3-av python3-numpy python3-pytest
  # the seeds' curl examples run verbatim (tests/integration/test_seed_examples.py)
  curl
  # /metrics is read with the reference Prometheus text-format parser (tests/integration/test_metrics.py)
  python3-prometheus-client
  # recordings are checked with GStreamer's own tools: gst-launch-1.0, gst-discoverer-1.0
  gstreamer1.0-tools gstreamer1.0-plugins-base-apps
  # scripts/make_test_models.py builds the unit tests' ONNX models with onnx.helper
  python3-onnx
  chromium nodejs
  # control-plane throughput figures in docs/BENCHMARKS.md (make bench)
  wrk
  # make sanitize / make fuzz: clang with the ASan/UBSan/libFuzzer runtimes, llvm-cov for coverage
  clang libclang-rt-14-dev llvm
  # make format-check (CI): .clang-format is written for Debian 12's clang-format 14
  clang-format
)
# libopenblas0: only a Recommends of libtorch, but without it matrix multiplies use netlib BLAS,
# 16x slower (a ViT frame: 23.7 s instead of 2 s; docs/INFERENCE-NOTES.md §I3). python3-torch
# exports the TorchScript test models.
torch_pkgs=(libtorch-dev libopenblas0 python3-torch)

with_test=0 with_torch=0
for arg in "$@"; do
  case "$arg" in
    --test) with_test=1 ;;
    --torch) with_torch=1 ;;
    *) echo "install-deps: unknown option $arg (use --test, --torch)" >&2; exit 2 ;;
  esac
done

pkgs=("${build_pkgs[@]}")
((with_test)) && pkgs+=("${test_pkgs[@]}")
((with_torch)) && pkgs+=("${torch_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# Some images ship npm inside their nodejs build; Debian splits it out.
((with_test)) && ! command -v npm >/dev/null && missing+=(npm)

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
