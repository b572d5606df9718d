#!/usr/bin/env python3
"""Viewer-scaling benchmark for `make bench` (run with /usr/bin/python3).

For each viewer count it starts a fresh server on 127.0.0.1, publishes an aiortc test pattern
(barcode with frame index and send time, 512x512 @ 30 fps, workflow `invert`), subscribes one
aiortc viewer that decodes every frame (glass-to-glass latency, time to first frame, delivery)
and N-1 non-decoding webrtcbin viewers (bench/load_viewers), then samples the server process:
CPU time (utime+stime from /proc, so other processes on the machine do not skew it), RSS and
threads. Prints one JSON document; bench/run.sh turns it into the table in docs/BENCHMARKS.md.
"""
import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "examples"))
import comfystream_client as cc  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_sample(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime
    with open(f"/proc/{pid}/statm") as f:
        rss = int(f.read().split()[1]) * PAGE
    threads = len(os.listdir(f"/proc/{pid}/task"))
    return cpu, rss, threads


def pct(values, q):
    if not values:
        return None
    v = sorted(values)
    return v[int(q * (len(v) - 1))]


def get_json(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read())


async def scenario(args, viewers):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [args.bin, "--host", "127.0.0.1", "--port", str(port), "--media-ip", "127.0.0.1",
         "--max-viewers", "200", "--log-level", "warn"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    load = None
    try:
        await cc.wait_until(lambda: _healthy(url), 10, "server start")
        track = cc.PatternTrack(width=args.size, height=args.size, fps=30)
        pub = await cc.whip_publish(url, "bench", workflow="invert", codec=args.codec, track=track)
        await pub.wait_connected()
        await asyncio.sleep(args.settle)
        result = {"viewers": viewers}
        idle_cpu, idle_rss, idle_threads = proc_sample(server.pid)
        viewer = None
        if viewers >= 1:
            t0 = time.monotonic()
            viewer = await cc.whep_subscribe(url, "bench", codec=args.codec)
            await viewer.wait_frames(1, timeout=10)
            result["first_frame_ms"] = round((viewer.first_frame_at - t0) * 1000, 1)
        if viewers > 1:
            load = subprocess.Popen(
                [args.load_bin, "--url", url, "--stream", "bench", "--codec", args.codec,
                 "--viewers", str(viewers - 1), "--duration", str(args.window + args.settle + 2)],
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            await cc.wait_until(lambda: len(get_json(url + "/whep-stats")) >= viewers,
                                60, f"{viewers} viewers")
        await asyncio.sleep(args.settle)
        lat_start = len(viewer.latencies_ms) if viewer else 0
        frames_start = viewer.video_frames if viewer else 0
        c0, _, _ = proc_sample(server.pid)
        t0 = time.monotonic()
        await asyncio.sleep(args.window)
        c1, rss, threads = proc_sample(server.pid)
        elapsed = time.monotonic() - t0
        result["server_cpu_pct"] = round(100 * (c1 - c0) / elapsed, 1)
        result["rss_mb"] = round(rss / 2**20, 1)
        result["threads"] = threads
        result["rss_mb_before_viewers"] = round(idle_rss / 2**20, 1)
        result["threads_before_viewers"] = idle_threads
        stats = next(iter(get_json(url + "/whip-stats").values()))
        result["server_latency_ms"] = stats.get("server_latency_ms")
        result["frames_dropped_by_pipeline"] = stats.get("frames_dropped")
        if viewer:
            lat = viewer.latencies_ms[lat_start:]
            result["g2g_ms"] = {"p50": pct(lat, 0.5), "p95": pct(lat, 0.95), "samples": len(lat)}
            result["viewer_fps"] = round((viewer.video_frames - frames_start) / elapsed, 1)
            await viewer.close()
        if load:
            out, _ = load.communicate(timeout=60)
            per = json.loads(out)["viewers"]
            result["load_first_packet_ms_p50"] = statistics.median(
                v["first_video_packet_ms"] for v in per)
        await pub.close()
        return result
    finally:
        if load and load.poll() is None:
            load.kill()
        server.terminate()
        server.wait(timeout=20)


def _healthy(url):
    try:
        return urllib.request.urlopen(url + "/health", timeout=1).status == 200
    except OSError:
        return False


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "build", "comfystream"))
    ap.add_argument("--load-bin", default=os.path.join(HERE, "..", "build", "bench", "load_viewers"))
    ap.add_argument("--viewers", default="0,1,10,40")
    ap.add_argument("--codec", default="H264", choices=["H264", "VP8"])
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--window", type=float, default=15.0)
    ap.add_argument("--settle", type=float, default=4.0)
    args = ap.parse_args()
    cc.use_loopback_only()
    results = []
    for n in [int(x) for x in args.viewers.split(",")]:
        r = await scenario(args, n)
        print(json.dumps(r), file=sys.stderr)
        results.append(r)
    print(json.dumps({"codec": args.codec, "size": args.size, "window_s": args.window,
                      "nproc": os.cpu_count(), "results": results}, indent=1))


if __name__ == "__main__":
    asyncio.run(main())
