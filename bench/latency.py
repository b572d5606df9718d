#!/usr/bin/env python3
"""Latency benchmark for `make bench` (run with /usr/bin/python3).

Two measurements against a fresh server on 127.0.0.1, each case well under a minute:

* ``g2g``: one aiortc publisher per codec (barcode pattern with frame index and send time,
  512x512 @ 30 fps, workflow ``invert``), one sending H.264 and one VP8, each on its own stream of
  the same server and measured in the same window (``--separate``: one after the other), so the
  machine's other load weighs on both alike; one aiortc viewer per stream decodes every frame.
  Glass-to-glass = viewer decode time - the time the publisher stamped into the frame, so it
  includes the publisher's own encode, which is measured separately by wrapping aiortc's encoders
  (libx264 / libvpx, in its executor thread), and the server's own share (decoded frame in ->
  encoded frame out, ``server_latency_ms`` of ``/whip-stats``), so the parts can be told apart.
* ``first-frame``: with the publisher running, viewers join one after another (``--spacing``
  apart, each staying connected); for each: POST → 201, 201 → connected (ICE + DTLS),
  connected → first decoded frame, and POST → first decoded frame.

Prints one JSON document (and a Markdown summary on stderr with ``--markdown``).
"""
import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "examples"))
import comfystream_client as cc  # noqa: E402
from aiortc.codecs import h264 as aiortc_h264  # noqa: E402
from aiortc.codecs import vpx as aiortc_vpx  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values, q):
    if not values:
        return None
    v = sorted(values)
    return round(v[int(q * (len(v) - 1))], 1)


def summary(values):
    return {"p50": pct(values, 0.5), "p95": pct(values, 0.95), "samples": len(values)}


# ---- the publisher's encode time: wrap aiortc's encoders (same process, same thread) ----
ENCODE_MS = {"H264": [], "VP8": []}


def _wrap(cls, codec):
    original = cls.encode

    def encode(self, frame, force_keyframe=False):
        t0 = time.perf_counter()
        try:
            return original(self, frame, force_keyframe)
        finally:
            ENCODE_MS[codec].append((time.perf_counter() - t0) * 1000)

    cls.encode = encode


_wrap(aiortc_h264.H264Encoder, "H264")
_wrap(aiortc_vpx.Vp8Encoder, "VP8")


class MovingTrack(cc.PatternTrack):
    """The pattern under moving noise, so both encoders have real work (camera-like frames,
    not the nearly static quadrants). The barcode strip is drawn on top, unchanged."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        rng = np.random.default_rng(1)
        self._noise = rng.integers(0, 64, size=(self.height * 2, self.width * 2, 3), dtype=np.uint8)

    def make_image(self, index, send_ms):
        dy, dx = (index * 7) % self.height, (index * 5) % self.width
        img = self._background + self._noise[dy:dy + self.height, dx:dx + self.width]
        cc.encode_barcode(img, index, send_ms)
        return img


def make_track(args):
    cls = MovingTrack if args.content == "moving" else cc.PatternTrack
    return cls(width=args.size, height=args.size, fps=30)


def _healthy(url):
    try:
        return urllib.request.urlopen(url + "/health", timeout=1).status == 200
    except OSError:
        return False


class Server:
    def __init__(self, args):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [args.bin, "--host", "127.0.0.1", "--port", str(self.port), "--media-ip", "127.0.0.1",
             "--max-viewers", "200", "--log-level", args.log_level],
            stdout=None if args.server_log else subprocess.DEVNULL,
            stderr=None if args.server_log else subprocess.DEVNULL)

    async def __aenter__(self):
        await cc.wait_until(lambda: _healthy(self.url), 10, "server start")
        return self

    async def __aexit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(timeout=20)


async def g2g_case(args, codecs):
    """One server, one stream per publisher codec, all measured in the same window: the machine's
    load (other processes) then weighs on every codec alike, and the comparison is fair."""
    async with Server(args) as srv, cc.Sessions() as s:
        viewers = {}
        for codec in codecs:
            pub = s.add(await cc.whip_publish(srv.url, "g2g-" + codec.lower(),
                                              workflow=args.workflow or None, codec=codec,
                                              track=make_track(args)))
            await pub.wait_connected()
        for codec in codecs:
            viewers[codec] = s.add(await cc.whep_subscribe(
                srv.url, "g2g-" + codec.lower(), codec=args.viewer_codec or codec))
        for v in viewers.values():
            await v.wait_frames(1, timeout=10)
        await asyncio.sleep(args.settle)
        lat0 = {c: len(v.latencies_ms) for c, v in viewers.items()}
        enc0 = {c: len(ENCODE_MS[c]) for c in codecs}
        await asyncio.sleep(args.window)
        stats = cc.http_request_sync("GET", srv.url + "/whip-stats").json()
        server = {v.get("stream_id", k): v.get("server_latency_ms") for k, v in stats.items()}
        return [{"publisher_codec": c, "viewer_codec": args.viewer_codec or c,
                 "server_added_ms": server.get("g2g-" + c.lower()),
                 "g2g_ms": summary(viewers[c].latencies_ms[lat0[c]:]),
                 "publisher_encode_ms": summary(ENCODE_MS[c][enc0[c]:])} for c in codecs]


async def first_frame_case(args, codec):
    posted = {}
    real_post = cc.post_sdp

    async def post_sdp(url, sdp, *a, **kw):
        posted["t"] = time.monotonic()
        resp = await real_post(url, sdp, *a, **kw)
        posted["answered"] = time.monotonic()
        return resp

    cc.post_sdp = post_sdp
    results = []
    try:
        async with Server(args) as srv, cc.Sessions() as s:
            track = make_track(args)
            pub = s.add(await cc.whip_publish(srv.url, "bench", workflow=args.workflow or None, codec=codec,
                                              track=track))
            await pub.wait_connected()
            await asyncio.sleep(args.settle)
            for n in range(1, args.viewers + 1):
                v = s.add(await cc.whep_subscribe(srv.url, "bench", codec=codec))
                t_post, t_answer = posted["t"], posted["answered"]
                connected = {}

                @v.pc.on("connectionstatechange")
                def _state(v=v, connected=connected):
                    if v.pc.connectionState == "connected" and "t" not in connected:
                        connected["t"] = time.monotonic()

                await v.wait_frames(1, timeout=10)
                t_conn = connected.get("t")
                ms = lambda a, b: None if a is None or b is None else round((b - a) * 1000, 1)
                results.append({"viewer": n, "post_to_answer_ms": ms(t_post, t_answer),
                                "answer_to_connected_ms": ms(t_answer, t_conn),
                                "connected_to_first_frame_ms": ms(t_conn, v.first_frame_at),
                                "post_to_first_frame_ms": ms(t_post, v.first_frame_at)})
                print(json.dumps(results[-1]), file=sys.stderr)
                await asyncio.sleep(args.spacing)
            stats = cc.http_request_sync("GET", srv.url + "/whep-stats").json()
            return {"codec": codec, "viewers": results,
                    "viewers_listed_at_end": len(stats)}
    finally:
        cc.post_sdp = real_post


def markdown(doc):
    lines = []
    if doc.get("g2g"):
        lines += ["| publisher codec | viewer codec | g2g p50 / p95 ms | publisher encode p50 / p95 ms |",
                  "|---|---|---|---|"]
        for r in doc["g2g"]:
            g, e = r["g2g_ms"], r["publisher_encode_ms"]
            lines.append(f"| {r['publisher_codec']} | {r['viewer_codec']} | {g['p50']} / {g['p95']} | "
                         f"{e['p50']} / {e['p95']} |")
    for ff in doc.get("first_frame", []):
        lines += ["", f"first frame, {ff['codec']}:", "",
                  "| viewer | POST → 201 ms | 201 → connected ms | connected → first frame ms | POST → first frame ms |",
                  "|---|---|---|---|---|"]
        for v in ff["viewers"]:
            lines.append(f"| {v['viewer']} | {v['post_to_answer_ms']} | {v['answer_to_connected_ms']} | "
                         f"{v['connected_to_first_frame_ms']} | {v['post_to_first_frame_ms']} |")
    return "\n".join(lines)


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "build", "comfystream"))
    ap.add_argument("--cases", default="g2g,first-frame")
    ap.add_argument("--codecs", default="H264,VP8", help="publisher codecs for g2g")
    ap.add_argument("--separate", action="store_true",
                    help="one server per publisher codec, one after the other (default: together)")
    ap.add_argument("--viewer-codec", default=None, help="g2g viewer codec (default: the publisher's)")
    ap.add_argument("--first-frame-codec", default="H264")
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--content", default="pattern", choices=["pattern", "moving"])
    ap.add_argument("--workflow", default="invert", help="empty: none (passthrough)")
    ap.add_argument("--window", type=float, default=15.0)
    ap.add_argument("--settle", type=float, default=3.0)
    ap.add_argument("--viewers", type=int, default=10)
    ap.add_argument("--spacing", type=float, default=1.0, help="seconds between viewers joining")
    ap.add_argument("--log-level", default="warn")
    ap.add_argument("--server-log", action="store_true", help="server stderr to ours")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    cc.use_loopback_only()
    cases = args.cases.split(",")
    doc = {"size": args.size, "window_s": args.window, "nproc": os.cpu_count()}
    if "g2g" in cases:
        if args.separate:
            doc["g2g"] = []
            for codec in args.codecs.split(","):
                doc["g2g"] += await g2g_case(args, [codec])
        else:
            doc["g2g"] = await g2g_case(args, args.codecs.split(","))
        print(json.dumps(doc["g2g"]), file=sys.stderr)
    if "first-frame" in cases:
        doc["first_frame"] = [await first_frame_case(args, args.first_frame_codec)]
    print(json.dumps(doc, indent=1))
    if args.markdown:
        print(markdown(doc), file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main())
