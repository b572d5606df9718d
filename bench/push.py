#!/usr/bin/env python3
"""What one push hop adds (run with /usr/bin/python3).

Two fresh servers on 127.0.0.1: A (with --push-allow 127.0.0.1) and B. An aiortc publisher
(512x512 @ 30 fps test pattern with a barcode carrying frame index and send time, workflow
`invert`) on A; A pushes the stream to B's WHIP endpoint (POST /streams/bench/pushes). Two
decoding aiortc WHEP viewers: one on A, one on B (B's workflow: passthrough). Over one window,
each viewer's glass-to-glass latency (barcode send time → decoded, same host clock) gives
p50/p95 at A and at B; the difference is the hop: A's push peer (RTP/SRTP out), B's ingest
(depacketise, decode, I420), B's processing (passthrough) and B's encoder, B's WHEP egress.
The CPU of A's server process is sampled over a window before the push and one with it.
Prints one JSON document.
"""
import argparse
import asyncio
import json
import os
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "examples"))
import comfystream_client as cc  # noqa: E402
from scaling import _healthy, free_port, pct, proc_sample  # noqa: E402


def request(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"} if data else {})
    with urllib.request.urlopen(req, timeout=15) as r:
        return json.loads(r.read())


async def start(binary, *extra):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = await asyncio.create_subprocess_exec(
        binary, "--host", "127.0.0.1", "--port", str(port), "--media-ip", "127.0.0.1",
        "--log-level", "warn", *extra,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    await cc.wait_until(lambda: _healthy(url), 10, "server start")
    return proc, url


def summary(values):
    return {"p50": pct(values, 0.5), "p95": pct(values, 0.95), "n": len(values)}


async def cpu_window(pid, seconds):
    c0, _, _ = proc_sample(pid)
    t0 = time.monotonic()
    await asyncio.sleep(seconds)
    c1, rss, threads = proc_sample(pid)
    return {"server_cpu_pct": round(100 * (c1 - c0) / (time.monotonic() - t0), 1),
            "rss_mb": round(rss / 2**20, 1), "threads": threads}


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "build", "comfystream"))
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--window", type=float, default=15.0)
    ap.add_argument("--settle", type=float, default=3.0)
    args = ap.parse_args()
    cc.use_loopback_only()
    a, a_url = await start(args.bin, "--push-allow", "127.0.0.1")
    b, b_url = await start(args.bin)
    try:
        track = cc.PatternTrack(width=args.size, height=args.size, fps=30)
        pub = await cc.whip_publish(a_url, "bench", workflow="invert", codec="H264", track=track)
        await pub.wait_connected()
        va = await cc.whep_subscribe(a_url, "bench", codec="H264")
        await va.wait_frames(1, timeout=10)
        await asyncio.sleep(args.settle)
        result = {"size": args.size, "window_s": args.window, "nproc": os.cpu_count()}
        result["a_without_push"] = await cpu_window(a.pid, args.window)
        t0 = time.monotonic()
        push = request("POST", a_url + "/streams/bench/pushes",
                       {"url": f"{b_url}/whip?streamId=bench"})
        push_url = f"{a_url}/streams/bench/pushes/{push['id']}"
        await cc.wait_until(lambda: request("GET", push_url)["state"] == "live", 20, "push live")
        result["push_live_ms"] = round(1000 * (time.monotonic() - t0))
        vb = await cc.whep_subscribe(b_url, "bench", codec="H264")
        await vb.wait_frames(1, timeout=10)
        result["push_post_to_first_frame_at_b_ms"] = round(1000 * (vb.first_frame_at - t0))
        await asyncio.sleep(args.settle)
        na, nb = len(va.latencies_ms), len(vb.latencies_ms)
        result["a_with_push"] = await cpu_window(a.pid, args.window)
        lat_a, lat_b = va.latencies_ms[na:], vb.latencies_ms[nb:]
        result["glass_to_glass_ms_at_a"] = summary(lat_a)
        result["glass_to_glass_ms_at_b"] = summary(lat_b)
        result["hop_ms"] = {"p50": round(pct(lat_b, 0.5) - pct(lat_a, 0.5), 1),
                            "p95": round(pct(lat_b, 0.95) - pct(lat_a, 0.95), 1)}
        st = request("GET", push_url)
        result["push"] = {k: st[k] for k in ("attempts", "frames_sent", "frames_dropped",
                                             "bytes_sent")}
        await vb.close()
        await va.close()
        final = request("DELETE", push_url)
        result["push_final_state"] = final["state"]
        await pub.close()
        print(json.dumps(result, indent=1))
    finally:
        for p in (a, b):
            p.terminate()
            await p.wait()


if __name__ == "__main__":
    asyncio.run(main())
