#!/usr/bin/env bash
# How much of a recording survives a SIGKILL, per container (the measurement behind the choice in
# docs/RECORDING.md). gst-launch-1.0 encodes live test video (x264enc with the server's settings)
# and Opus audio into each muxer, is SIGKILLed after a few seconds, and the file is decoded:
# loss = running time of the last frame handed to the muxer − the last decoded frame.
#   bench/record_crash_containers.sh [TRIALS=3] [BITRATE_KBPS=2000]
# Needs gstreamer1.0-tools (gst-launch-1.0).
set -uo pipefail
trials="${1:-3}"
kbps="${2:-2000}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT

configs=(
  "mkv|matroskamux|buffer-mode=unbuffered|mkv, every write unbuffered (the recorder: fdsink)"
  "mkv|matroskamux streamable=true|buffer-mode=unbuffered|mkv streamable=true, unbuffered"
  "mkv|matroskamux||mkv, filesink's default 64 KiB buffer"
  "mp4|mp4mux fragment-duration=1000|buffer-mode=unbuffered|fragmented mp4, 1 s fragments, unbuffered"
  "mp4|mp4mux fragment-duration=500|buffer-mode=unbuffered|fragmented mp4, 0.5 s fragments, unbuffered"
)

secs() {  # H:MM:SS.nnnnnnnnn -> seconds (x264enc's 1000 h offset removed)
  awk -F: '{ printf "%.3f", ($1 % 1000) * 3600 + $2 * 60 + $3 }'
}

echo "| container | loss after SIGKILL, s (each trial) | ${kbps} kbit/s |"
echo "|---|---|---|"
for cfg in "${configs[@]}"; do
  IFS='|' read -r ext mux sinkprops label <<<"$cfg"
  losses=()
  for ((t = 0; t < trials; t++)); do
    f="$dir/t.$ext"
    rm -f "$f"
    # shellcheck disable=SC2086
    gst-launch-1.0 -v videotestsrc is-live=true pattern=ball ! \
      video/x-raw,width=640,height=480,framerate=30/1 ! \
      x264enc tune=zerolatency speed-preset=ultrafast key-int-max=60 bitrate="$kbps" ! \
      video/x-h264,profile=constrained-baseline ! h264parse ! identity name=tap silent=false ! \
      queue ! $mux name=mux ! filesink location="$f" $sinkprops \
      audiotestsrc is-live=true ! audio/x-raw,rate=48000,channels=2 ! opusenc ! queue ! mux. \
      >"$dir/log" 2>&1 &
    pid=$!
    sleep "4.$((RANDOM % 10))"
    kill -9 "$pid"
    wait "$pid" 2>/dev/null
    fed=$(grep -o 'tap.*pts: [0-9:.]*' "$dir/log" | tail -1 | grep -o '[0-9]*:[0-9:.]*$' | secs)
    dec=$(gst-launch-1.0 -v filesrc location="$f" ! decodebin ! video/x-raw ! \
      fakesink silent=false sync=false 2>&1 | grep -o 'fakesink0.*chain.*pts: [0-9:.]*' | tail -1 |
      grep -o '[0-9]*:[0-9:.]*$' | secs)
    losses+=("$(awk -v a="$fed" -v b="${dec:-0}" 'BEGIN { printf "%.2f", a - b }')")
  done
  echo "| $label | ${losses[*]} | |"
done
