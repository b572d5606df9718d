#!/usr/bin/python3
"""Watch a comfystream stream over WHEP and record it to a file.

    /usr/bin/python3 examples/whep_record.py --url http://127.0.0.1:8889 --stream default \\
        --out processed.mp4 --duration 30

Records the processed stream (video + audio) with aiortc's MediaRecorder (the container follows
the file name: .mp4, .mkv, ...; --out '' receives without recording). Runs until Ctrl-C /
SIGTERM or --duration seconds, then DELETEs the session and closes the file. One line per event
on stdout ("subscribed <Location>", "first video frame WxH", "connection state: ...").

Needs aiortc, PyAV and numpy (Debian 12: python3-aiortc python3-av python3-numpy).
"""

import argparse
import asyncio
import fractions
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import comfystream_client as cc  # noqa: E402
from aiortc import MediaStreamTrack  # noqa: E402
from aiortc.contrib.media import MediaBlackhole, MediaRecorder  # noqa: E402


def log(msg: str) -> None:
    print(f"[whep_record {time.strftime('%H:%M:%S')}] {msg}", flush=True)


class CountingTrack(MediaStreamTrack):
    """Passes frames through, reports the first one and a count every 5 s, and re-stamps them
    for the muxer.

    aiortc hands out frames stamped with raw RTP timestamps (random start, 32-bit wrap), which
    aiortc's MediaRecorder passes to FFmpeg as they are; the mp4 muxer then rejects them
    ("pts has no value", "non monotonically increasing dts"). Here video gets pts in 1/30 s
    ticks (the recorder's stream rate) derived from the RTP clock, strictly increasing, and audio
    gets a running sample count.
    """

    VIDEO_RATE = 30

    def __init__(self, source: MediaStreamTrack, video_started: asyncio.Event,
                 gate: bool = False) -> None:
        super().__init__()
        self.kind = source.kind
        # aiortc's MediaRecorder opens each stream's encoder on that stream's first frame, and
        # the first mux writes the container header, opening any encoder not yet open. If audio
        # is muxed before the first video frame, the video encoder is opened without a picture
        # size and every later video frame fails (the recording has 1 video frame). So audio
        # (gate=True) waits until the first video frame has gone to the recorder.
        self.video_started = video_started
        self.gate = gate
        self.source = source
        self.frames = 0
        self._next_report = None
        self._first_pts = None
        self._last_pts = -1
        self._samples = 0

    def _restamp(self, frame):
        if self.kind == "video":
            if frame.pts is not None and frame.time_base is not None:
                if self._first_pts is None:
                    self._first_pts = frame.pts
                delta = (frame.pts - self._first_pts) & 0xFFFFFFFF  # RTP timestamps wrap
                pts = round(float(delta * frame.time_base) * self.VIDEO_RATE)
            else:
                pts = self._last_pts + 1
            pts = max(pts, self._last_pts + 1)
            self._last_pts = pts
            frame.pts = pts
            frame.time_base = fractions.Fraction(1, self.VIDEO_RATE)
        else:
            frame.pts = self._samples
            frame.time_base = fractions.Fraction(1, frame.sample_rate)
            self._samples += frame.samples
        return frame

    async def recv(self):
        if self.gate and not self.video_started.is_set():
            try:
                await asyncio.wait_for(self.video_started.wait(), 10)
            except asyncio.TimeoutError:
                log("no video after 10 s: recording audio only")
            self.gate = False
        frame = await self.source.recv()
        if self.kind == "video":
            self.video_started.set()  # the recorder encodes this frame before it yields again
        self.frames += 1
        now = time.monotonic()
        if self.frames == 1:
            if self.kind == "video":
                log(f"first video frame {frame.width}x{frame.height}")
            else:
                log(f"first audio frame {frame.sample_rate} Hz {frame.layout.name}")
            self._next_report = now + 5
        elif now >= self._next_report:
            log(f"received {self.frames} {self.kind} frames")
            self._next_report = now + 5
        return self._restamp(frame)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", default="http://127.0.0.1:8889", help="server base URL")
    p.add_argument("--stream", default="default", help="streamId")
    p.add_argument("--out", default="processed.mp4", help="output file ('' = do not record)")
    p.add_argument("--duration", type=float, default=0, help="seconds to record (0: until Ctrl-C)")
    p.add_argument("--codec", default=None, choices=["H264", "VP8", "h264", "vp8"],
                   help="offer only this video codec (default: aiortc's VP8+H264 offer)")
    p.add_argument("--no-audio", action="store_true", help="subscribe to video only")
    p.add_argument("--all-interfaces", action="store_true",
                   help="gather ICE candidates on every interface (default: 127.0.0.1 only when "
                        "--url is a loopback address)")
    return p.parse_args(argv)


async def main(args) -> int:
    loopback = cc.is_loopback_url(args.url) and not args.all_interfaces
    sink = MediaRecorder(args.out) if args.out else MediaBlackhole()
    wrapped = []
    video_started = asyncio.Event()

    def on_track(track: MediaStreamTrack) -> None:
        log(f"remote {track.kind} track")
        w = CountingTrack(track, video_started, gate=track.kind == "audio" and bool(args.out))
        wrapped.append(w)
        sink.addTrack(w)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    log(f"POST {args.url}/whep streamId={args.stream}")
    try:
        viewer = await cc.whep_subscribe(
            args.url, stream_id=args.stream, audio=not args.no_audio,
            codec=args.codec.upper() if args.codec else None, on_track=on_track, loopback=loopback,
        )
    except cc.HttpError as e:
        retry = e.response.header("Retry-After")
        log(f"error: {e}" + (f" (Retry-After: {retry})" if retry else ""))
        return 1
    except OSError as e:
        log(f"error: cannot reach {args.url}: {e}")
        return 1
    log(f"subscribed {viewer.location}")

    @viewer.pc.on("connectionstatechange")
    def _on_state():
        log(f"connection state: {viewer.pc.connectionState}")
        if viewer.pc.connectionState in ("failed", "closed"):
            stop.set()

    await sink.start()
    if args.out:
        log(f"recording to {args.out}")
    started = time.monotonic()
    rc = 0
    try:
        while not stop.is_set():
            if args.duration and time.monotonic() - started >= args.duration:
                log(f"duration {args.duration:g}s reached")
                break
            try:
                await asyncio.wait_for(stop.wait(), 0.25)
            except asyncio.TimeoutError:
                pass
        if viewer.pc.connectionState == "failed":
            rc = 1
    finally:
        await sink.stop()
        await viewer.close()
        if viewer.delete_response is not None:
            log(f"DELETE {viewer.location} -> {viewer.delete_response.status}")
        else:
            log(f"DELETE {viewer.location} -> no answer (server gone?)")
        counts = ", ".join(f"{w.frames} {w.kind}" for w in wrapped)
        log(f"done: received {counts or 'nothing'}" + (f", wrote {args.out}" if args.out else ""))
    return rc


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
