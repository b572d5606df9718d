#!/usr/bin/env python3
"""Livepeer trickle worker benchmark for `make bench` (run with /usr/bin/python3).

For 1, 2 and 4 concurrent streams it starts a fresh server (``--stream-capacity 4``) and one
``fakeorch orch`` per stream (go-livepeer's trickle server and gateway logic, the real peer of
tests/integration/test_live_worker.py): 512x512 @ 30 fps H.264 + Opus with a moving pattern,
published in real time, through workflow `invert`. It measures

* worker-added latency per frame (input bytes of frame N arrived -> output bytes of frame N
  written), p50/p95, as the server reports it in ``GET /stream/status`` (``LATENCY_FIELD`` per
  stream; the last sample before the input ends);
* server CPU per stream: utime+stime from /proc over the window in which every stream flows, so
  other load on the machine does not inflate it; RSS and threads at the end of that window;
* first output byte after /stream/start: from fakeorch's "POST .../stream/start" log line to the
  first byte of output segment 0 read by our own subscriber (same clock, this process).

Prints one JSON document (and a Markdown table on stderr with ``--markdown``).
"""
import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "integration"))
from trickle_support import FakeOrch, MediaCache, fakeorch_binary, free_port  # noqa: E402

CAPACITY_FLAG = "--stream-capacity"
LATENCY_FIELD = "worker_latency_ms"  # {"p50": ms, "p95": ms} per stream in GET /stream/status
STATUS_PATH = "/stream/status"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
NODE = lambda t, **inputs: {"class_type": t, "inputs": inputs}  # noqa: E731
INVERT = {"1": NODE("LoadTensor"), "2": NODE("ImageInvert", image=["1", 0]),
          "3": NODE("SaveTensor", images=["2", 0])}


def proc_sample(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime
    with open(f"/proc/{pid}/statm") as f:
        rss = int(f.read().split()[1]) * PAGE
    return cpu, rss, len(os.listdir(f"/proc/{pid}/task"))


def get_json(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.loads(r.read())


def latencies(doc, stream_id=None, found=None):
    """{stream id: {"p50", "p95"}} for every object in /stream/status carrying LATENCY_FIELD;
    the stream is the nearest enclosing key or gateway_request_id/stream_id field."""
    found = {} if found is None else found
    if isinstance(doc, dict):
        sid = doc.get("gateway_request_id") or doc.get("stream_id") or doc.get("id") or stream_id
        if isinstance(doc.get(LATENCY_FIELD), dict):
            found[sid or f"stream{len(found)}"] = doc[LATENCY_FIELD]
        for k, v in doc.items():
            if isinstance(v, (dict, list)):
                latencies(v, sid or k, found)
    elif isinstance(doc, list):
        for v in doc:
            latencies(v, stream_id, found)
    return found


def first_byte(fo: FakeOrch, out: dict, deadline: float):
    """Time (monotonic) of the first byte of output segment 0, read from the output channel."""
    while len(fo.urls) < 5 and time.monotonic() < deadline:
        time.sleep(0.005)
    url = fo.urls.get("publish_url")
    if not url:
        return
    try:
        # GET of the next seq to be written blocks until the worker writes it
        with urllib.request.urlopen(url + "/0", timeout=max(1, deadline - time.monotonic())) as r:
            if r.read(1):
                out[fo.stream_id] = time.monotonic()
    except OSError as e:
        out[fo.stream_id + ".error"] = str(e)


def scenario(args, binary, media, n, work):
    server = None
    if args.worker_url:  # a worker started elsewhere (the harness's own check: fakeorch goworker)
        url, pid = args.worker_url, args.worker_pid
    else:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [args.bin, "--host", "127.0.0.1", "--port", str(port), "--media-ip", "127.0.0.1",
             "--log-level", "warn", CAPACITY_FLAG, "4"],
            stdout=subprocess.DEVNULL, stderr=open(work / f"server-{n}.log", "wb"))
        pid = server.pid
    runs = []
    try:
        deadline = time.monotonic() + 20
        while server is not None:
            try:
                get_json(url + "/health", 1)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit(f"server did not start (see {work}/server-{n}.log)")
                time.sleep(0.05)
        ts = media.get(args.seconds, "opus", "smpte", moving=True)
        firsts = {}
        threads = []
        for i in range(n):
            fo = FakeOrch(binary, work / f"n{n}", f"bench-{n}-{i}", worker=url, input_ts=ts,
                          params={"prompts": INVERT}, extra=["-wirelog=false"])
            th = threading.Thread(target=first_byte, args=(fo, firsts, time.monotonic() + 60),
                                  daemon=True)
            fo.start()
            th.start()
            runs.append(fo)
            threads.append(th)
        # the window: every stream has output, until the first input ends
        for th in threads:
            th.join(70)
        t0 = time.monotonic()
        cpu0, _, _ = proc_sample(pid)
        samples = {}
        while not any(fo.input_done for fo in runs) and all(fo.running() for fo in runs):
            try:
                for sid, lat in latencies(get_json(url + STATUS_PATH)).items():
                    samples[sid] = lat
            except (OSError, ValueError):
                pass
            time.sleep(1)
        t1 = time.monotonic()
        cpu1, rss, nthreads = proc_sample(pid)
        for fo in runs:
            fo.wait(args.seconds + 60)
        fb = [(firsts[fo.stream_id] - fo.start_posted.t) * 1000 for fo in runs
              if fo.stream_id in firsts and fo.start_posted]
        cpu_pct = (cpu1 - cpu0) / (t1 - t0) * 100 if t1 > t0 else None
        p50s = [v.get("p50") for v in samples.values() if v.get("p50") is not None]
        p95s = [v.get("p95") for v in samples.values() if v.get("p95") is not None]
        return {
            "streams": n,
            "window_s": round(t1 - t0, 1),
            "server_cpu_pct": None if cpu_pct is None else round(cpu_pct, 1),
            "cpu_pct_per_stream": None if cpu_pct is None else round(cpu_pct / n, 1),
            "rss_mb": round(rss / 1e6, 1),
            "threads": nthreads,
            "first_output_byte_ms": {"p50": round(statistics.median(fb), 1) if fb else None,
                                     "max": round(max(fb), 1) if fb else None},
            "worker_latency_ms": {"p50": max(p50s) if p50s else None,
                                  "p95": max(p95s) if p95s else None, "per_stream": samples},
            "out_segments": [len(fo.out_segments) for fo in runs],
            "start_codes": [fo.start_answer.code if fo.start_answer else None for fo in runs],
            "errors": {k: v for k, v in firsts.items() if k.endswith(".error")},
        }
    finally:
        for fo in runs:
            fo.stop()
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def markdown(doc):
    f = lambda x: "-" if x is None else str(x)  # noqa: E731
    rows = ["| streams | server CPU % of a core | CPU % per stream | RSS MB | threads | "
            "worker latency p50 / p95 ms (worst stream) | first output byte p50 / max ms |",
            "|---|---|---|---|---|---|---|"]
    for r in doc["results"]:
        lat, fb = r["worker_latency_ms"], r["first_output_byte_ms"]
        rows.append(f"| {r['streams']} | {f(r['server_cpu_pct'])} | {f(r['cpu_pct_per_stream'])} | "
                    f"{r['rss_mb']} | {r['threads']} | {f(lat['p50'])} / {f(lat['p95'])} | "
                    f"{f(fb['p50'])} / {f(fb['max'])} |")
    return "\n".join(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default="build/comfystream")
    ap.add_argument("--streams", default="1,2,4")
    ap.add_argument("--seconds", type=float, default=20, help="input length per stream")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--worker-url", help="bench this running worker instead of starting --bin")
    ap.add_argument("--worker-pid", type=int, help="its process (CPU, RSS, threads)")
    args = ap.parse_args()
    binary = fakeorch_binary()
    with tempfile.TemporaryDirectory(prefix="trickle-bench-") as d:
        work = Path(d)
        media = MediaCache(work / "media")
        results = [scenario(args, binary, media, int(n), work) for n in args.streams.split(",")]
    doc = {"bench": "trickle", "input": f"512x512@30 H.264+Opus, {args.seconds:g} s, invert",
           "latency_field": LATENCY_FIELD, "results": results}
    print(json.dumps(doc, indent=2))
    if args.markdown:
        print(markdown(doc), file=sys.stderr)


if __name__ == "__main__":
    main()
