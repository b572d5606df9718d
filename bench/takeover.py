#!/usr/bin/env python3
"""How long a stream is dark after its publisher dies without DELETE (run with /usr/bin/python3;
part of `make bench`). Issue 9: it used to be 10-12 s of 409s, until the silence watchdog fired.

A fresh server on 127.0.0.1 (default --publisher-takeover always). Each round: examples/
whip_publish.py publishes a 320x240 test pattern (workflow invert) from its own process, one
aiortc WHEP viewer decodes it, the publisher process is SIGKILLed, and an aiortc publisher
re-publishes at once with barcode indices of its own. Measured from the SIGKILL: the re-POST's
201 (`answered_ms`), and the viewer's first decoded frame of the new publisher (`frames_ms`:
ICE + DTLS of the new publisher, its first keyframe, the workflow, the viewer's decode).
Prints one JSON document with every round and the median/p95.
"""
import argparse
import asyncio
import json
import os
import signal
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "examples"))
import comfystream_client as cc  # noqa: E402
from scaling import _healthy, free_port  # noqa: E402

SECOND = 1_000_000


async def round_trip(url, stream):
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-u", os.path.join(HERE, "..", "examples", "whip_publish.py"), "--url", url,
        "--stream", stream, "--workflow", "invert", "--no-audio",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        while b"connection state: connected" not in await asyncio.wait_for(proc.stdout.readline(), 20):
            pass
        viewer = await cc.whep_subscribe(url, stream, audio=False)
        await viewer.wait_frames(30, timeout=15)
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    killed = time.monotonic()
    mark = len(viewer.indices)
    pub = await cc.whip_publish(url, stream, workflow="invert", audio=False,
                                track=cc.PatternTrack(start_index=SECOND))
    answered = time.monotonic() - killed
    await cc.wait_until(lambda: any(i >= SECOND for i in viewer.decoded_indices(since=mark)), 15,
                        "frames of the new publisher")
    flowing = time.monotonic() - killed
    await viewer.close()
    await pub.close()
    return {"answered_ms": round(answered * 1000, 1), "frames_ms": round(flowing * 1000, 1)}


def summary(values):
    s = sorted(values)
    return {"p50": round(statistics.median(s), 1), "p95": round(s[min(len(s) - 1, int(0.95 * len(s)))], 1),
            "min": s[0], "max": s[-1]}


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "build", "comfystream"))
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    cc.use_loopback_only()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = await asyncio.create_subprocess_exec(
        args.bin, "--host", "127.0.0.1", "--port", str(port), "--media-ip", "127.0.0.1",
        "--log-level", "warn", stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    try:
        await cc.wait_until(lambda: _healthy(url), 10, "server start")
        rounds = [await round_trip(url, f"takeover{i}") for i in range(args.rounds)]
    finally:
        server.terminate()
        await server.wait()
    print(json.dumps({"rounds": rounds, "nproc": os.cpu_count(),
                      "answered_ms": summary([r["answered_ms"] for r in rounds]),
                      "frames_ms": summary([r["frames_ms"] for r in rounds])}, indent=1))


if __name__ == "__main__":
    asyncio.run(main())
