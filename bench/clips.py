#!/usr/bin/env python3
"""Clip processing throughput (docs/CLIPS.md): a 512x512 H.264+AAC clip made with GStreamer, sent
to POST /clips with `invert` and with the heaviest native node (Canny, docs/BENCHMARKS.md), timed
from the upload to `completed`. Prints JSON: per workflow, frames, the job's own fps (decode,
workflow, encode and mux, as GET /clips/{id} reports it) and the wall time of the whole request.
Timing goals live here, never in pass/fail tests."""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
NODE = lambda t, **inputs: {"class_type": t, "inputs": inputs}  # noqa: E731
CANNY = {"1": NODE("LoadTensor"),
         "2": NODE("Canny", image=["1", 0], low_threshold=0.4, high_threshold=0.8),
         "3": NODE("SaveTensor", images=["2", 0])}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(method, url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def make_clip(path, seconds, size):
    desc = (f"videotestsrc pattern=smpte num-buffers={seconds * 30} ! "
            f"video/x-raw,width={size},height={size},framerate=30/1 ! "
            f"x264enc speed-preset=ultrafast ! h264parse ! mp4mux name=m ! filesink location={path} "
            f"audiotestsrc num-buffers={seconds * 48000 // 1024} samplesperbuffer=1024 ! "
            f"audio/x-raw,rate=48000,channels=2 ! audioconvert ! avenc_aac ! m.")
    subprocess.run(["gst-launch-1.0", "-q"] + desc.split(), check=True, stdout=subprocess.DEVNULL)


def start_server(binary, tmp, *extra):
    """The server on a free port of 127.0.0.1, its clips and state under tmp, its log in
    tmp/server.log. Returns (process, base URL, log file) once /health answers."""
    port = free_port()
    log = open(os.path.join(tmp, "server.log"), "wb")
    proc = subprocess.Popen([binary, "--host", "127.0.0.1", "--port", str(port),
                             "--media-ip", "127.0.0.1", "--state-dir", os.path.join(tmp, "state"),
                             "--clip-dir", os.path.join(tmp, "clips"), *extra],
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            if request("GET", base + "/health")[0] == 200:
                return proc, base, log
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.terminate()
            log.close()
            sys.exit(f"server did not start (its log: {log.name})")
        time.sleep(0.05)


def run_clip(base, clip, query, body=None):
    t0 = time.monotonic()
    if body is None:
        st, h, b = request("POST", base + "/clips" + query, open(clip, "rb").read(),
                           {"Content-Type": "video/mp4"})
    else:
        st, h, b = request("POST", base + "/clips", json.dumps(body).encode(),
                           {"Content-Type": "application/json"})
    assert st == 202, (st, b)
    loc = h["Location"]
    while True:
        st, _, b = request("GET", base + loc)
        status = json.loads(b)
        if status["status"] in ("completed", "failed", "cancelled"):
            break
        time.sleep(0.05)
    wall = time.monotonic() - t0
    assert status["status"] == "completed", status
    request("DELETE", base + loc)
    return {"frames": status["frames_done"], "job_fps": round(status["fps"], 1),
            "wall_s": round(wall, 2), "wall_fps": round(status["frames_done"] / wall, 1)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "build", "comfystream"))
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="cs-bench-clips-")
    proc, base, log = start_server(args.bin, tmp)
    try:
        clip = os.path.join(tmp, "in.mp4")
        make_clip(clip, args.seconds, args.size)
        out = {"size": args.size, "seconds": args.seconds, "cpus": os.cpu_count(), "runs": {}}
        for name, query, body in (("invert", "?workflow=invert", None),
                                  ("Canny", "", {"prompts": CANNY, "workflow": "canny"})):
            runs = []
            for _ in range(args.repeat):
                if body is not None:
                    import base64
                    body["media_data"] = base64.b64encode(open(clip, "rb").read()).decode()
                runs.append(run_clip(base, clip, query, body))
            out["runs"][name] = runs
            best = max(runs, key=lambda r: r["job_fps"])
            print(f"{name}: {best['frames']} frames of {args.size}x{args.size}, "
                  f"best {best['job_fps']} fps (job), {best['wall_fps']} fps (upload to completed)",
                  file=sys.stderr)
        print(json.dumps(out, indent=1))
    finally:
        proc.terminate()
        proc.wait(15)
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
