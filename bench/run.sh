#!/usr/bin/env bash
# `make bench`: micro-benchmarks, the viewer-scaling run, then the control-plane (HTTP) run against
# this build. Results land in $BUILD/bench-results.
# Timing goals live here, never in pass/fail tests. Figures are recorded in docs/BENCHMARKS.md.
set -euo pipefail
build="${1:-build}"
out="$build/bench-results"
mkdir -p "$out"
echo "== micro-benchmarks"
"$build/bench/comfystream_bench" --benchmark_out="$out/micro.json" --benchmark_out_format=json
for codec in H264 VP8; do
  echo "== viewer scaling ($codec, 512x512 @ 30 fps, workflow invert)"
  /usr/bin/python3 bench/scaling.py --bin "$build/comfystream" --load-bin "$build/bench/load_viewers" \
    --codec "$codec" ${SCALING_ARGS:-} > "$out/scaling-$codec.json"
  /usr/bin/python3 - "$out/scaling-$codec.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print("| viewers | server CPU % of a core | RSS MB | threads | server-added latency p50/p95 ms | g2g p50/p95 ms | first frame ms | viewer fps |")
print("|---|---|---|---|---|---|---|---|")
for r in d["results"]:
    lat = r.get("server_latency_ms") or {}
    g = r.get("g2g_ms") or {}
    f = lambda x: "-" if x is None else (f"{x:.1f}" if isinstance(x, float) else str(x))
    print(f"| {r['viewers']} | {r['server_cpu_pct']} | {r['rss_mb']} | {r['threads']} | "
          f"{f(lat.get('p50'))} / {f(lat.get('p95'))} | {f(g.get('p50'))} / {f(g.get('p95'))} | "
          f"{f(r.get('first_frame_ms'))} | {f(r.get('viewer_fps'))} |")
PY
done
echo "== latency: glass-to-glass by publisher codec (H.264 and VP8 side by side), first frame of 10 viewers"
/usr/bin/python3 bench/latency.py --bin "$build/comfystream" --viewer-codec H264 --markdown ${LATENCY_ARGS:-} \
  > "$out/latency.json"
echo "== control plane (HTTP): wrk on /health and WHEP POST, /health under slowloris and idle connections"
# This build only; the before/after comparison with the cpp-httplib build is a one-off command in
# docs/BENCHMARKS.md ("Control plane (HTTP)").
/usr/bin/python3 bench/control_plane.py --binary "current=$build/comfystream" \
  --out "$out/control-plane.json" --log "$out/control-plane-server.log" ${CONTROL_PLANE_ARGS:-}
echo "== one recording: CPU and bytes written (pattern, then frames that use the whole bitrate)"
/usr/bin/python3 bench/recording.py --bin "$build/comfystream" > "$out/recording.json"
/usr/bin/python3 bench/recording.py --bin "$build/comfystream" --noise > "$out/recording-noise.json"
cat "$out/recording.json" "$out/recording-noise.json"
echo "== publisher takeover: SIGKILL of a publisher → its re-POST answered, frames flowing again"
/usr/bin/python3 bench/takeover.py --bin "$build/comfystream" > "$out/takeover.json"
cat "$out/takeover.json"
echo "== one push hop: glass-to-glass at server A and at server B it pushes to"
/usr/bin/python3 bench/push.py --bin "$build/comfystream" > "$out/push.json"
cat "$out/push.json"
echo "== Livepeer trickle worker: 1, 2 and 4 streams of 512x512 @ 30 fps through invert, fakeorch as the peer"
/usr/bin/python3 bench/trickle.py --bin "$build/comfystream" --markdown ${TRICKLE_ARGS:-} > "$out/trickle.json"
echo "== clips: POST /clips of a 10 s 512x512 H.264+AAC clip with invert and with Canny (the heaviest native node)"
/usr/bin/python3 bench/clips.py --bin "$build/comfystream" > "$out/clips.json"
cat "$out/clips.json"
echo "== clips: a live stream's frames (512x512 @ 30 fps, invert, one viewer) over 10 s alone and while a Canny clip job runs, 3 times each"
/usr/bin/python3 bench/clips_live.py --bin "$build/comfystream" > "$out/clips-live.json"
/usr/bin/python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(json.dumps(d["summary"]), "clip jobs outlasted their windows:", d["every_clip_job_outlasted_its_window"], "load average:", d["loadavg"])' "$out/clips-live.json"
