#!/usr/bin/env python3
"""What one server-side recording costs (run with /usr/bin/python3; part of `make bench`).

A fresh server on 127.0.0.1; an aiortc publisher (512x512 @ 30 fps test pattern, workflow
`invert`, Opus audio) and one decoding WHEP viewer, as in bench/scaling.py. The server process's
CPU time (utime+stime from /proc, so other processes do not skew it) is sampled over a window
without a recording, then over the same window with one (POST /streams/bench/recordings). The
recorder's own streaming threads (`video:src`, `audio:src`: parse, mux and write) are sampled
alone too, and the recording's bytes per second are its status's `bytes` over the window.

``--noise`` replaces half of each frame with fresh random pixels, so the encoder spends the whole
--video-bitrate (a worst case for the disk); the test pattern alone compresses to little.
Prints one JSON document.
"""
import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import urllib.request

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "examples"))
import comfystream_client as cc  # noqa: E402
from scaling import _healthy, free_port, proc_sample  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
RECORDER_THREADS = ("video:src", "audio:src")


class NoiseTrack(cc.PatternTrack):
    """The test pattern with its lower half replaced by new random pixels every frame."""

    def make_image(self, index, send_ms):
        img = super().make_image(index, send_ms)
        h = img.shape[0]
        img[h // 2:] = np.random.randint(0, 256, img[h // 2:].shape, dtype=np.uint8)
        return img


def thread_cpu(pid, names):
    """CPU seconds of the process's threads whose name is in `names`."""
    total = 0.0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                if f.read().strip() not in names:
                    continue
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLK_TCK
        except OSError:
            pass  # the thread ended
    return total


def request(method, url):
    req = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(req, timeout=15) as r:
        return json.loads(r.read())


async def window(pid, seconds, rec_url=None):
    c0, _, _ = proc_sample(pid)
    r0 = thread_cpu(pid, RECORDER_THREADS)
    b0 = request("GET", rec_url)["bytes"] if rec_url else 0
    t0 = time.monotonic()
    await asyncio.sleep(seconds)
    elapsed = time.monotonic() - t0
    c1, rss, threads = proc_sample(pid)
    r1 = thread_cpu(pid, RECORDER_THREADS)
    out = {"server_cpu_pct": round(100 * (c1 - c0) / elapsed, 1), "rss_mb": round(rss / 2**20, 1),
           "threads": threads}
    if rec_url:
        st = request("GET", rec_url)
        out["recorder_threads_cpu_pct"] = round(100 * (r1 - r0) / elapsed, 2)
        out["write_kbit_s"] = round((st["bytes"] - b0) * 8 / elapsed / 1000, 1)
        out["frames_dropped"] = st["frames_dropped"]
        out["audio_packets_dropped"] = st["audio_packets_dropped"]
    return out


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "build", "comfystream"))
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--bitrate", default="2M", help="the server's --video-bitrate")
    ap.add_argument("--noise", action="store_true", help="frames that use the whole bitrate")
    ap.add_argument("--window", type=float, default=15.0)
    ap.add_argument("--settle", type=float, default=4.0)
    args = ap.parse_args()
    cc.use_loopback_only()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="cs-bench-rec-") as rec_dir:
        server = await asyncio.create_subprocess_exec(
            args.bin, "--host", "127.0.0.1", "--port", str(port), "--media-ip", "127.0.0.1",
            "--video-bitrate", args.bitrate, "--record-dir", rec_dir, "--log-level", "warn",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        try:
            await cc.wait_until(lambda: _healthy(url), 10, "server start")
            make = NoiseTrack if args.noise else cc.PatternTrack
            track = make(width=args.size, height=args.size, fps=30)
            pub = await cc.whip_publish(url, "bench", workflow="invert", codec="H264", track=track)
            await pub.wait_connected()
            viewer = await cc.whep_subscribe(url, "bench", codec="H264")
            await viewer.wait_frames(1, timeout=10)
            await asyncio.sleep(args.settle)
            result = {"size": args.size, "bitrate": args.bitrate, "noise": args.noise,
                      "window_s": args.window, "nproc": os.cpu_count()}
            result["without_recording"] = await window(server.pid, args.window)
            rec = request("POST", url + "/streams/bench/recordings")
            rec_url = f"{url}/streams/bench/recordings/{rec['id']}"
            await asyncio.sleep(args.settle)
            result["with_recording"] = await window(server.pid, args.window, rec_url)
            final = request("DELETE", rec_url)
            result["file_bytes"] = final["bytes"]
            result["recorded_s"] = round(final["duration"], 2)
            result["viewer_fps"] = round(viewer.video_frames / max(1e-9, time.monotonic() -
                                                                   viewer.first_frame_at), 1)
            await viewer.close()
            await pub.close()
            print(json.dumps(result, indent=1))
        finally:
            server.terminate()
            await server.wait()


if __name__ == "__main__":
    asyncio.run(main())
