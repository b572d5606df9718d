#!/usr/bin/python3
"""Publish a live stream to comfystream over WHIP.

    /usr/bin/python3 examples/whip_publish.py --url http://127.0.0.1:8889 --stream default \\
        --workflow invert --codec H264 --source pattern --duration 30

--source pattern sends the built-in test pattern (four colour quadrants + a barcode with the frame
index and send time, see comfystream_client.PatternTrack) and a 440 Hz tone; any other value is a
file or device opened with aiortc's MediaPlayer (looped when it is a seekable file). Runs until
Ctrl-C / SIGTERM or --duration seconds, then DELETEs the session. One line per event on stdout.

Needs aiortc, PyAV and numpy (Debian 12: python3-aiortc python3-av python3-numpy).
"""

import argparse
import asyncio
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import comfystream_client as cc  # noqa: E402


def log(msg: str) -> None:
    print(f"[whip_publish {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", default="http://127.0.0.1:8889", help="server base URL")
    p.add_argument("--stream", default="default", help="streamId")
    p.add_argument("--workflow", default=None, help="workflow (passthrough, invert); server default if omitted")
    p.add_argument("--codec", default="H264", choices=["H264", "VP8", "h264", "vp8"],
                   help="video codec to offer (only this one)")
    p.add_argument("--source", default="pattern", help="'pattern' or a media file/URL for MediaPlayer")
    p.add_argument("--duration", type=float, default=0, help="seconds to publish (0: until Ctrl-C)")
    p.add_argument("--width", type=int, default=320, help="pattern width")
    p.add_argument("--height", type=int, default=240, help="pattern height")
    p.add_argument("--fps", type=int, default=30, help="pattern frame rate")
    p.add_argument("--no-audio", action="store_true", help="offer video only")
    p.add_argument("--all-interfaces", action="store_true",
                   help="gather ICE candidates on every interface (default: 127.0.0.1 only when "
                        "--url is a loopback address)")
    return p.parse_args(argv)


async def main(args) -> int:
    loopback = cc.is_loopback_url(args.url) and not args.all_interfaces
    player = None
    if args.source == "pattern":
        video = cc.PatternTrack(args.width, args.height, args.fps)
        audio = None if args.no_audio else cc.ToneTrack()
        log(f"source: test pattern {args.width}x{args.height}@{args.fps}"
            + ("" if args.no_audio else " + 440 Hz tone"))
    else:
        from aiortc.contrib.media import MediaPlayer

        loop_file = os.path.isfile(args.source)
        player = MediaPlayer(args.source, loop=loop_file)
        video = player.video
        audio = None if args.no_audio else player.audio
        log(f"source: {args.source} (video={'yes' if video else 'no'}, "
            f"audio={'yes' if audio else 'no'}, loop={loop_file})")
        if video is None and audio is None:
            log("error: the source has neither video nor audio")
            return 2

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    log(f"POST {args.url}/whip streamId={args.stream} workflow={args.workflow or '(default)'} "
        f"codec={args.codec.upper()}")
    try:
        pub = await cc.whip_publish(
            args.url, stream_id=args.stream, workflow=args.workflow, codec=args.codec.upper(),
            video=video is not None, audio=audio is not None, track=video, audio_track=audio,
            loopback=loopback,
        )
    except cc.HttpError as e:
        log(f"error: {e}")
        return 1
    except OSError as e:
        log(f"error: cannot reach {args.url}: {e}")
        return 1
    log(f"201 Created, Location {pub.location}")
    for link in pub.response.header_all("Link"):
        log(f"ICE server offered by the server: {link}")

    @pub.pc.on("connectionstatechange")
    def _on_state():
        log(f"connection state: {pub.pc.connectionState}")
        if pub.pc.connectionState in ("failed", "closed"):
            stop.set()

    started = time.monotonic()
    next_report = started + 5
    rc = 0
    try:
        while not stop.is_set():
            if args.duration and time.monotonic() - started >= args.duration:
                log(f"duration {args.duration:g}s reached")
                break
            if time.monotonic() >= next_report and isinstance(video, cc.PatternTrack):
                log(f"sent {video.frames_sent} video frames")
                next_report += 5
            try:
                await asyncio.wait_for(stop.wait(), 0.25)
            except asyncio.TimeoutError:
                pass
        if pub.pc.connectionState == "failed":
            rc = 1
    finally:
        await pub.close()
        if pub.delete_response is not None:
            log(f"DELETE {pub.location} -> {pub.delete_response.status}")
        else:
            log(f"DELETE {pub.location} -> no answer (server gone?)")
        if player is not None:
            for t in (player.video, player.audio):
                if t is not None:
                    t.stop()
    return rc


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
