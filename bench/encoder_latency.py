#!/usr/bin/env python3
"""How long the stream's encoder pipelines hold a frame, by input frame rate (run with
/usr/bin/python3; part of docs/GSTREAMER-NOTES.md §G18's figures).

Pushes 90 frames of 512x512 I420, one every 33 ms, into appsrc -> encoder -> appsink with the
encoder descriptions of src/media/VideoEncoder.cpp, and prints the median time from push to the
encoded frame, for framerate=30/1 (an H.264 publisher's decoded caps) and 0/1 (a VP8 publisher's:
vp8dec says no rate). x264enc holds each 0/1 frame until the next one arrives.
"""
import os
import sys
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstApp", "1.0")
from gi.repository import Gst, GstApp  # noqa: E402,F401 (GstApp: appsrc.push_buffer)

ENCODERS = {
    "x264enc": "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=60 bitrate=2000 ! "
               "video/x-h264,profile=constrained-baseline ! h264parse config-interval=-1 ! "
               "video/x-h264,stream-format=byte-stream,alignment=au",
    "vp8enc": "vp8enc deadline=1 cpu-used=8 end-usage=cbr lag-in-frames=0 threads=1 "
              "keyframe-max-dist=60 target-bitrate=2000000",
}
SHIFT = 3600 * 1000 * Gst.SECOND  # x264enc moves timestamps 1000 h ahead (GSTREAMER-NOTES §G13)


def measure(encoder, framerate, frames=90, size=512):
    p = Gst.parse_launch(f"appsrc name=src is-live=true format=time ! {ENCODERS[encoder]} ! "
                         "appsink name=sink sync=false emit-signals=true")
    src, sink = p.get_by_name("src"), p.get_by_name("sink")
    src.set_property("caps", Gst.Caps.from_string(
        f"video/x-raw,format=I420,width={size},height={size},framerate={framerate}"))
    pushed, held = {}, []

    def on_sample(s):
        b = s.emit("pull-sample").get_buffer()
        held.append((time.monotonic() - pushed[b.pts % SHIFT]) * 1000)
        return Gst.FlowReturn.OK

    sink.connect("new-sample", on_sample)
    p.set_state(Gst.State.PLAYING)
    for i in range(frames):
        b = Gst.Buffer.new_wrapped(os.urandom(64) + bytes(size * size * 3 // 2 - 64))
        b.pts, b.duration = i * Gst.SECOND // 30, Gst.SECOND // 30
        pushed[b.pts] = time.monotonic()
        src.push_buffer(b)
        time.sleep(1 / 30)
    time.sleep(0.3)
    p.set_state(Gst.State.NULL)
    held.sort()
    return held[len(held) // 2] if held else None, len(held)


def main():
    Gst.init(None)
    for encoder in sys.argv[1:] or ENCODERS:
        for framerate in ("30/1", "0/1"):
            p50, n = measure(encoder, framerate)
            print(f"{encoder} framerate={framerate}: {n} frames, push -> encoded p50 {p50:.1f} ms")


if __name__ == "__main__":
    main()
