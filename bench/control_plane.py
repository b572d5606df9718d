#!/usr/bin/python3
"""Control-plane (HTTP) benchmark: throughput and latency of the server's HTTP layer, alone and
while hostile or idle clients hold connections. Figures are recorded in docs/BENCHMARKS.md
("Control plane (HTTP)").

For every --binary (repeatable, `LABEL=PATH` or `PATH`) it starts the server on a free port of
127.0.0.1 and measures, one phase after another:

  health        GET /health with wrk (-t2 -c64 by default): requests/s, latency p50/p95/p99/max.
  whep409       POST /whep?streamId=<nobody publishes> with a real aiortc offer
                (bench/data/whep-offer.sdp, 2.2 KB) with wrk: the full request path (head, body,
                routing, SDP parse) up to the 409 "no publisher" answer, without creating a
                WebRTC peer, so nothing piles up against --max-streams and the figure is the
                HTTP layer's, not GStreamer's. On a server with a rate limiter it runs with
                `--rate-limit 0`, then again (`whep409_default_limits`) on a second server with
                its default limits, to show the 429s.
  quiet         /health probes with no other load (the baseline for the next two).
  slowloris     /health probes while N connections (200) each send a partial request head and
                then one more byte every second. A connection the server closes is reopened.
  idle          /health probes while N connections (1,000) sit idle after one keep-alive
                request, spread over 127.0.0.2..127.0.0.K (K-1 addresses, --idle-per-address each),
                since the new server caps connections per address. Closed ones are reopened.

Probes: one GET /health on a fresh connection every --probe-interval s, --probes of them, each
bounded by --probe-timeout (a probe that does not finish in time counts as a timeout and sits
above every latency in the percentiles). Every loop is bounded in count and time; the server
and every connection are closed at the end, whatever happens.

Writes JSON (--out) and prints a Markdown table. Timing goals live here, never in tests.
"""
import argparse
import asyncio
import concurrent.futures
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
HOST = "127.0.0.1"


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def cpu_seconds(pid):
    """utime + stime of a process, in seconds."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def percentile(sorted_values, p):
    """Nearest-rank percentile; None when empty."""
    if not sorted_values:
        return None
    k = max(0, min(len(sorted_values) - 1, int(round(p / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


# ---------------------------------------------------------------------------------------------
# The server under test


class Server:
    def __init__(self, binary, extra_args, log_path):
        self.binary = binary
        self.port = free_port()
        self.args = [binary, "--host", HOST, "--port", str(self.port), "--log-level", "warn",
                     "--max-streams", "16"] + extra_args
        self.log = open(log_path, "ab")
        self.proc = None

    def __enter__(self):
        self.log.write(("\n== " + " ".join(self.args) + "\n").encode())
        self.log.flush()
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.binary} exited with {self.proc.returncode} at start-up "
                                   f"(log: {self.log.name})")
            r = probe(HOST, self.port, 1.0)
            if r["ok"]:
                return self
            time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"{self.binary} did not answer /health within 30 s")

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()

    def cpu(self):
        return cpu_seconds(self.proc.pid)


def server_flags(binary):
    """Options this build knows: the old (cpp-httplib) build has no HTTP limits at all."""
    out = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=30).stdout
    return set(re.findall(r"--[a-z][a-z0-9-]+", out))


def wait_healthy(port, seconds=15.0):
    """After a phase: wait until /health answers again (bounded); returns seconds waited or None."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        if probe(HOST, port, 1.0)["ok"]:
            return round(time.monotonic() - t0, 2)
        time.sleep(0.2)
    return None


# ---------------------------------------------------------------------------------------------
# wrk phases


def run_wrk(port, path, args, lua_env, count_status):
    env = dict(os.environ, REPORT_LUA=os.path.join(HERE, "wrk", "report.lua"),
               COUNT_STATUS="1" if count_status else "0", **lua_env)
    script = os.path.join(HERE, "wrk", "post_sdp.lua" if "SDP_FILE" in lua_env else "report.lua")
    cmd = ["wrk", f"-t{args.wrk_threads}", f"-c{args.wrk_connections}", f"-d{args.duration}s",
           "--timeout", f"{args.wrk_timeout}s", "-s", script, f"http://{HOST}:{port}{path}"]
    la0 = loadavg()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env,
                       timeout=args.duration + args.wrk_timeout + 30)
    m = re.search(r"^CPJSON (.*)$", p.stdout, re.M)
    if p.returncode != 0 or not m:
        raise RuntimeError(f"wrk failed ({p.returncode}): {p.stdout}\n{p.stderr}")
    r = json.loads(m.group(1))
    r["rps"] = round(r["requests"] / (r["duration_us"] / 1e6), 1)
    for k in ("p50", "p95", "p99", "max"):
        r[f"{k}_ms"] = round(r.pop(f"{k}_us") / 1000, 2)
    r["mean_ms"] = round(r.pop("mean_us") / 1000, 2)
    r["command"] = " ".join(cmd)
    r["loadavg"] = [la0, loadavg()]
    return r


# ---------------------------------------------------------------------------------------------
# Probes and connection holders


def probe(host, port, timeout, source="127.0.0.1"):
    """One GET /health on a fresh connection, bounded by `timeout` in all."""
    t0 = time.perf_counter()
    deadline = t0 + timeout
    s = None
    try:
        s = socket.create_connection((host, port), timeout=timeout, source_address=(source, 0))
        s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise socket.timeout()
            s.settimeout(left)
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
            head, sep, body = data.partition(b"\r\n\r\n")
            if sep:
                m = re.search(rb"content-length:\s*(\d+)", head, re.I)
                if m and len(body) >= int(m.group(1)):
                    break
        ms = (time.perf_counter() - t0) * 1000
        status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.") else 0
        return {"ok": status == 200, "ms": ms, "status": status}
    except socket.timeout:
        return {"ok": False, "ms": None, "status": "timeout"}
    except OSError as e:
        return {"ok": False, "ms": (time.perf_counter() - t0) * 1000, "status": f"error:{e.errno}"}
    finally:
        if s:
            s.close()


def run_probes(port, args):
    """Open loop: one probe every probe_interval s (not waiting for the previous), so a stalled
    server shows as timeouts instead of stretching the phase."""
    results = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=64) as pool:
        futures = []
        t0 = time.monotonic()
        for i in range(args.probes):
            delay = t0 + i * args.probe_interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            futures.append(pool.submit(probe, HOST, port, args.probe_timeout))
        for f in futures:
            results.append(f.result(timeout=args.probe_timeout + 10))
    ok = sorted(r["ms"] for r in results if r["ok"])
    timeouts = sum(1 for r in results if r["status"] == "timeout")
    other = [r["status"] for r in results if not r["ok"] and r["status"] != "timeout"]
    # Timeouts and failures rank above every answered probe.
    ranked = ok + [float("inf")] * (len(results) - len(ok))

    def fmt(v):
        return None if v is None else ("timeout" if v == float("inf") else round(v, 2))

    return {
        "probes": len(results), "ok": len(ok), "timeouts": timeouts, "failed": other[:10],
        "failed_count": len(other),
        "p50_ms": fmt(percentile(ranked, 50)), "p95_ms": fmt(percentile(ranked, 95)),
        "p99_ms": fmt(percentile(ranked, 99)), "max_ms": fmt(ranked[-1] if ranked else None),
        "max_answered_ms": fmt(ok[-1] if ok else None),
    }


class Holders:
    """N connections held open from a background asyncio loop; reopened when the server closes
    them, until stop(). mode 'slow': partial head, then a byte every trickle s; 'idle': one
    keep-alive GET /health, then nothing."""

    def __init__(self, port, count, mode, sources, trickle=1.0):
        self.port, self.count, self.mode, self.sources, self.trickle = port, count, mode, sources, trickle
        self.open = 0
        self.peak = 0
        self.opened = 0
        self.closed_by_server = 0
        self.answered = 0
        self.connect_failures = 0
        self.loop = asyncio.new_event_loop()
        self.stopping = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.stopping = asyncio.Event()
        self.loop.run_until_complete(self._main())
        self.loop.close()

    async def _main(self):
        tasks = []
        for i in range(self.count):
            tasks.append(asyncio.ensure_future(self._conn(self.sources[i % len(self.sources)])))
            if i % 50 == 49:
                await asyncio.sleep(0.05)  # ramp: 1,000 connections in about a second
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _conn(self, source):
        while not self.stopping.is_set():
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(HOST, self.port, local_addr=(source, 0)), 3)
            except (OSError, asyncio.TimeoutError):
                self.connect_failures += 1
                await self._pause(0.5)
                continue
            self.open += 1
            self.opened += 1
            self.peak = max(self.peak, self.open)
            answered = False
            try:
                if self.mode == "slow":
                    writer.write(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                else:
                    writer.write(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                await writer.drain()
                while not self.stopping.is_set():
                    try:
                        data = await asyncio.wait_for(reader.read(4096), self.trickle)
                    except asyncio.TimeoutError:
                        if self.mode == "slow":
                            writer.write(b"a")
                            await writer.drain()
                        continue
                    if not data:
                        self.closed_by_server += 1
                        break
                    if not answered:
                        answered = True
                        self.answered += 1
                    if self.mode == "slow":  # the server answered (e.g. 408/431): it will close
                        pass
            except (OSError, asyncio.CancelledError):
                self.closed_by_server += 1
            finally:
                self.open -= 1
                writer.close()
            await self._pause(0.1)

    async def _pause(self, s):
        try:
            await asyncio.wait_for(self.stopping.wait(), s)
        except asyncio.TimeoutError:
            pass

    def start(self, ramp_timeout):
        self.thread.start()
        deadline = time.monotonic() + ramp_timeout
        while time.monotonic() < deadline and self.open < self.count:
            time.sleep(0.1)
        return self.open

    def stop(self):
        if self.stopping is not None:
            self.loop.call_soon_threadsafe(self.stopping.set)
        self.thread.join(timeout=15)

    def stats(self):
        return {"target": self.count, "peak_open": self.peak, "opened": self.opened,
                "closed_by_server": self.closed_by_server, "answered": self.answered,
                "connect_failures": self.connect_failures}


def held_phase(server, args, mode, count, sources):
    la0 = loadavg()
    cpu0 = server.cpu()
    h = Holders(server.port, count, mode, sources, trickle=args.trickle)
    open_at_start = h.start(ramp_timeout=15)
    try:
        time.sleep(args.settle)
        open_before_probes = h.open
        r = run_probes(server.port, args)
        open_after_probes = h.open
    finally:
        h.stop()
    r.update({"held": dict(h.stats(), open_after_ramp=open_at_start,
                           open_when_probing_began=open_before_probes,
                           open_when_probing_ended=open_after_probes),
              "server_cpu_s": None if cpu0 is None else round(server.cpu() - cpu0, 2),
              "loadavg": [la0, loadavg()],
              "recovered_after_s": wait_healthy(server.port)})
    return r


# ---------------------------------------------------------------------------------------------


def bench_binary(label, binary, args, log_path):
    flags = server_flags(binary)
    limited = "--rate-limit" in flags
    res = {"label": label, "binary": os.path.abspath(binary), "has_http_limits": limited,
           "started": time.strftime("%Y-%m-%d %H:%M:%S"), "loadavg_start": loadavg()}
    offer = os.path.join(HERE, "data", "whep-offer.sdp")
    whep_path = "/whep?streamId=bench-no-publisher"
    extra = ["--rate-limit", "0"] if limited else []
    res["server_args"] = extra
    with Server(binary, extra, log_path) as srv:
        print(f"[{label}] health (wrk)", file=sys.stderr)
        res["health"] = run_wrk(srv.port, "/health", args, {}, count_status=False)
        wait_healthy(srv.port)
        print(f"[{label}] whep409 (wrk)", file=sys.stderr)
        res["whep409"] = run_wrk(srv.port, whep_path, args, {"SDP_FILE": offer}, count_status=True)
        wait_healthy(srv.port)
        print(f"[{label}] quiet probes", file=sys.stderr)
        la0 = loadavg()
        res["quiet"] = dict(run_probes(srv.port, args), loadavg=[la0, loadavg()])
        print(f"[{label}] slowloris x{args.slow}", file=sys.stderr)
        res["slowloris"] = held_phase(srv, args, "slow", args.slow, ["127.0.0.1"])
        n_src = max(1, -(-args.idle // args.idle_per_address))
        sources = [f"127.0.0.{2 + i}" for i in range(n_src)]
        print(f"[{label}] idle x{args.idle} from {sources[0]}..{sources[-1]}", file=sys.stderr)
        res["idle"] = held_phase(srv, args, "idle", args.idle, sources)
        res["alive_at_end"] = srv.proc.poll() is None
    if limited:
        with Server(binary, [], log_path) as srv:
            print(f"[{label}] whep409 with default limits (wrk)", file=sys.stderr)
            res["whep409_default_limits"] = run_wrk(srv.port, whep_path, args,
                                                    {"SDP_FILE": offer}, count_status=True)
    res["loadavg_end"] = loadavg()
    return res


def fmt_probe(p):
    def v(x):
        return "–" if x is None else (x if isinstance(x, str) else f"{x:.1f}")
    t = f", {p['timeouts']}/{p['probes']} timed out" if p["timeouts"] else ""
    f = f", {p['failed_count']} failed" if p["failed_count"] else ""
    return f"{v(p['p50_ms'])} / {v(p['p95_ms'])} / {v(p['p99_ms'])} / {v(p['max_ms'])}{t}{f}"


def markdown(results, args):
    cols = [r["label"] for r in results]
    rows = []

    def row(name, fn):
        cells = []
        for r in results:
            try:
                cells.append(fn(r))
            except (KeyError, TypeError):
                cells.append("–")
        rows.append(f"| {name} | " + " | ".join(cells) + " |")

    def wrk_cell(w, statuses=False):
        s = f"{w['rps']:.0f} req/s; p50/p95/p99/max {w['p50_ms']:.2f} / {w['p95_ms']:.2f} / " \
            f"{w['p99_ms']:.2f} / {w['max_ms']:.1f} ms"
        if statuses:
            s += "; " + ", ".join(f"{k}×{v}" for k, v in sorted(w["statuses"].items()))
        if w["errors"]["timeout"]:
            s += f"; {w['errors']['timeout']} timeouts"
        errs = w["errors"]["connect"] + w["errors"]["read"] + w["errors"]["write"]
        if errs:
            s += f"; {errs} socket errors"
        return s

    row(f"GET /health, wrk -t{args.wrk_threads} -c{args.wrk_connections}",
        lambda r: wrk_cell(r["health"]))
    row("POST /whep offer → 409, rate limit off", lambda r: wrk_cell(r["whep409"], True))
    row("same, default rate limit (20/s, burst 100)",
        lambda r: wrk_cell(r["whep409_default_limits"], True) if "whep409_default_limits" in r
        else "no rate limiter")
    row("/health probes, no other load: p50/p95/p99/max ms", lambda r: fmt_probe(r["quiet"]))
    row(f"/health probes, {args.slow} slowloris connections", lambda r: fmt_probe(r["slowloris"]))
    row(f"/health probes, {args.idle} idle keep-alive connections",
        lambda r: fmt_probe(r["idle"]))
    row("slowloris: open / reopened after server close",
        lambda r: f"{r['slowloris']['held']['open_when_probing_began']} / "
                  f"{r['slowloris']['held']['closed_by_server']}")
    row("idle: open / answered / reopened after server close",
        lambda r: f"{r['idle']['held']['open_when_probing_began']} / "
                  f"{r['idle']['held']['answered']} / {r['idle']['held']['closed_by_server']}")
    row("load average (1 min) start → end",
        lambda r: f"{r['loadavg_start'][0]:.2f} → {r['loadavg_end'][0]:.2f}")
    head = "| | " + " | ".join(cols) + " |\n|---|" + "---|" * len(cols)
    return head + "\n" + "\n".join(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", action="append", required=True,
                    help="server binary, PATH or LABEL=PATH (repeatable; run one after another)")
    ap.add_argument("--out", help="write the results as JSON here")
    ap.add_argument("--log", help="server output (default: a temporary file)")
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    ap.add_argument("--wrk-threads", type=int, default=2)
    ap.add_argument("--wrk-connections", type=int, default=64)
    ap.add_argument("--wrk-timeout", type=int, default=2, help="wrk's per-request timeout, s")
    ap.add_argument("--slow", type=int, default=200, help="slowloris connections")
    ap.add_argument("--trickle", type=float, default=1.0, help="seconds between slowloris bytes")
    ap.add_argument("--idle", type=int, default=1000, help="idle keep-alive connections")
    ap.add_argument("--idle-per-address", type=int, default=200,
                    help="idle connections per source address (new server caps 256)")
    ap.add_argument("--probes", type=int, default=100, help="/health probes per phase")
    ap.add_argument("--probe-interval", type=float, default=0.1)
    ap.add_argument("--probe-timeout", type=float, default=2.0)
    ap.add_argument("--settle", type=float, default=2.0,
                    help="seconds between holding the connections and the first probe")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("control_plane.py: wrk not found (apt-get install wrk)")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = args.slow + args.idle + 256
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(need, soft)), hard))
    log_path = args.log or tempfile.mkstemp(prefix="control-plane-", suffix=".log")[1]
    results = []
    for spec in args.binary:
        label, _, path = spec.rpartition("=") if "=" in spec else (None, None, spec)
        label = label or os.path.basename(os.path.dirname(os.path.abspath(path))) + "/" + os.path.basename(path)
        if not os.access(path, os.X_OK):
            sys.exit(f"control_plane.py: {path} is not an executable")
        results.append(bench_binary(label, path, args, log_path))
    doc = {"machine": {"nproc": os.cpu_count(), "uname": " ".join(os.uname())},
           "settings": vars(args), "server_log": log_path, "results": results}
    if args.out:
        with open(args.out, "w") as f:
            json.dump(doc, f, indent=2)
    print(markdown(results, args))
    print(f"\nserver log: {log_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
