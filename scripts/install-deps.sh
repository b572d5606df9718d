#!/usr/bin/env bash
# Installs the Debian 12 packages comfystream needs to build, run and test.
# Idempotent: it asks apt only for what dpkg says is missing.
#   scripts/install-deps.sh          build + run
#   scripts/install-deps.sh --test   also the real peers used by the tests
set -euo pipefail

build_pkgs=(
  build-essential cmake pkg-config
  # WebRTC + codecs: webrtcbin (bad), libnice, x264enc (ugly), vp8enc/rtp (good), avdec_h264 (libav)
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-nice libnice-dev
  libcpp-httplib-dev nlohmann-json3-dev libspdlog-dev libcli11-dev libssl-dev
  # workflow engine: libyuv for colour conversion/scaling, OpenCV for image ops and ONNX models
  libyuv-dev libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev libopencv-dnn-dev
)
test_pkgs=(
  libgtest-dev libgmock-dev libbenchmark-dev
  python3-aiortc python3-av python3-numpy python3-pytest
  chromium nodejs
)

pkgs=("${build_pkgs[@]}")
[[ "${1:-}" == "--test" ]] && pkgs+=("${test_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# Some images ship npm inside their nodejs build; Debian splits it out.
[[ "${1:-}" == "--test" ]] && ! command -v npm >/dev/null && missing+=(npm)

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
