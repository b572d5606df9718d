#!/usr/bin/env python3
"""A live stream's frames with and without a concurrent clip job (docs/CLIPS.md, "Clips never cost
a live stream frames"), for `make bench` (run with /usr/bin/python3).

One server on 127.0.0.1; one aiortc WHIP publisher (the barcode pattern, 512x512 @ 30 fps, H.264,
workflow `invert`, host candidates on 127.0.0.1 only) and one aiortc WHEP viewer that decodes
every frame, so the stream is encoded too (`--no-viewer`: none, as the integration test). Over a
fixed window (10 s) it counts the stream's frames received, processed and dropped
(GET /whip-stats, as tests/integration/test_clips.py does), the encoder's drops
(GET /stream/{id}/stats) and the viewer's decoded frames and glass-to-glass latency: once
alone, then once while a clip job with the heaviest native node (Canny, bench/clips.py's CANNY)
runs on a clip long enough to outlast the window; the job must still be `processing` at the
window's end (`still_processing` in the output), then it is cancelled. Alone and with a clip
alternate, `--repeat` times each. Also recorded per window: the server's CPU (utime+stime, % of a
core) and the load average, since the machine may be shared. Prints JSON. Timing figures only,
never pass/fail: the integration test is the check.
"""
import argparse
import asyncio
import base64
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "examples"))
import comfystream_client as cc  # noqa: E402
from clips import CANNY, make_clip, start_server  # noqa: E402
from scaling import pct, proc_sample  # noqa: E402

COUNTERS = ("frames_received", "frames_processed", "frames_dropped")


async def counters(base, pub_id, stream):
    whip = (await cc.get_json(base, "/whip-stats"))[pub_id]
    st = await cc.get_json(base, f"/stream/{stream}/stats")
    out = {k: whip[k] for k in COUNTERS}
    out["encoder_frames_dropped"] = st.get("encoder_frames_dropped", 0)
    return out


async def window(args, base, pid, pub_id, viewer):
    """The stream's counts over the next args.window seconds."""
    load0 = os.getloadavg()[0]
    start = await counters(base, pub_id, args.stream)
    cpu0 = proc_sample(pid)[0]
    seen0, lat0 = (viewer.video_frames, len(viewer.latencies_ms)) if viewer else (0, 0)
    t0 = time.monotonic()
    await asyncio.sleep(args.window)
    end = await counters(base, pub_id, args.stream)
    cpu1 = proc_sample(pid)[0]
    elapsed = time.monotonic() - t0
    out = {k: end[k] - start[k] for k in end}
    out.update(elapsed_s=round(elapsed, 2),
               received_fps=round(out["frames_received"] / elapsed, 1),
               processed_fps=round(out["frames_processed"] / elapsed, 1),
               server_cpu_pct=round(100 * (cpu1 - cpu0) / elapsed, 1),
               loadavg_1m=[round(load0, 2), round(os.getloadavg()[0], 2)])
    if viewer:
        lat = viewer.latencies_ms[lat0:]
        out.update(viewer_fps=round((viewer.video_frames - seen0) / elapsed, 1),
                   g2g_ms={"p50": pct(lat, 0.5), "p95": pct(lat, 0.95), "samples": len(lat)})
    return out


async def clip_status(base, location):
    return await cc.get_json(base, location)


async def with_clip(args, base, pid, pub_id, viewer, body):
    r = await cc.http_request("POST", base + "/clips", body,
                              {"Content-Type": "application/json"}, timeout=120)
    if r.status != 202:
        raise RuntimeError(f"POST /clips: {r.status} {r.text}")
    location = r.header("Location")
    try:
        deadline = time.monotonic() + 30
        while (st := await clip_status(base, location))["frames_done"] == 0:
            if st["status"] not in ("queued", "processing") or time.monotonic() > deadline:
                raise RuntimeError(f"the clip job never got going: {st}")
            await asyncio.sleep(0.05)
        before = st
        out = await window(args, base, pid, pub_id, viewer)
        after = await clip_status(base, location)
        out["clip"] = {"still_processing": after["status"] == "processing",
                       "status_at_end": after["status"],
                       "frames_in_window": after["frames_done"] - before["frames_done"],
                       "fps_in_window": round((after["frames_done"] - before["frames_done"])
                                              / out["elapsed_s"], 1),
                       "frames_done": after["frames_done"], "frames_total": after["frames_total"]}
        return out
    finally:
        await cc.http_request("DELETE", base + location)


def summary(runs):
    keys = COUNTERS + ("encoder_frames_dropped", "received_fps", "processed_fps",
                       "server_cpu_pct") + (("viewer_fps",) if "viewer_fps" in runs[0] else ())
    return {k: {"min": min(r[k] for r in runs), "median": statistics.median(r[k] for r in runs),
                "max": max(r[k] for r in runs)} for k in keys}


async def run(args, base, pid, body):
    cc.use_loopback_only()
    async with cc.Sessions() as s:
        pub = s.add(await cc.whip_publish(
            base, args.stream, workflow="invert", codec="H264",
            track=cc.PatternTrack(width=args.size, height=args.size, fps=30)))
        await pub.wait_connected()
        deadline = time.monotonic() + 30
        while (await cc.get_json(base, "/whip-stats")).get(pub.public_id, {}) \
                .get("frames_processed", 0) < 30:
            if time.monotonic() > deadline:
                raise RuntimeError("the live stream never got going")
            await asyncio.sleep(0.05)
        viewer = None
        if args.viewer:
            viewer = s.add(await cc.whep_subscribe(base, args.stream, codec="H264"))
            await viewer.wait_frames(1, timeout=10)
        await asyncio.sleep(args.settle)
        alone, clip = [], []
        for i in range(args.repeat):
            alone.append(await window(args, base, pid, pub.public_id, viewer))
            print(f"alone {i + 1}: {json.dumps(alone[-1])}", file=sys.stderr)
            clip.append(await with_clip(args, base, pid, pub.public_id, viewer, body))
            print(f"with a clip job {i + 1}: {json.dumps(clip[-1])}", file=sys.stderr)
            await asyncio.sleep(args.settle)  # the cancelled job's threads are gone
        return alone, clip


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.environ.get(
        "COMFYSTREAM_BIN", os.path.join(HERE, "..", "build", "comfystream")))
    ap.add_argument("--size", type=int, default=512, help="the live stream's and the clip's size")
    ap.add_argument("--window", type=float, default=10.0, help="seconds per measured window")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--settle", type=float, default=3.0)
    ap.add_argument("--clip-seconds", type=int, default=240,
                    help="the clip's length (at 30 fps): it must outlast a window at the job's fps")
    ap.add_argument("--stream", default="live")
    ap.add_argument("--no-viewer", dest="viewer", action="store_false",
                    help="no WHEP viewer (as the integration test): the stream is not encoded")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="cs-bench-clips-live-")
    proc, base, log = start_server(args.bin, tmp)
    try:
        clip = os.path.join(tmp, "long.mp4")
        make_clip(clip, args.clip_seconds, args.size)
        body = json.dumps({"prompts": CANNY, "workflow": "canny", "media_data":
                           base64.b64encode(open(clip, "rb").read()).decode()}).encode()
        alone, with_job = asyncio.run(run(args, base, proc.pid, body))
        out = {"live": {"size": args.size, "fps": 30, "codec": "H264", "workflow": "invert",
                        "viewers": int(args.viewer)},
               "clip": {"workflow": "Canny", "size": args.size, "seconds": args.clip_seconds,
                        "frames": args.clip_seconds * 30},
               "window_s": args.window, "repeat": args.repeat, "cpus": os.cpu_count(),
               "loadavg": [round(x, 2) for x in os.getloadavg()],
               "every_clip_job_outlasted_its_window": all(r["clip"]["still_processing"]
                                                          for r in with_job),
               "alone": alone, "with_clip_job": with_job,
               "summary": {"alone": summary(alone), "with_clip_job": summary(with_job)}}
        print(json.dumps(out, indent=1))
    finally:
        proc.terminate()
        proc.wait(15)
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
