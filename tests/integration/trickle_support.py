"""The Livepeer side of the trickle-worker tests (test_live_worker.py) and bench (bench/trickle.py).

* ``fakeorch_binary()``: go-livepeer's own trickle server and gateway logic (`fakeorch`, from
  ../shared/peers/livepeer-trickle), built by ``make test-deps`` into ``$COMFYSTREAM_FAKEORCH``, or
  built here with the peer's build.sh (idempotent) when that variable is not set.
* ``make_ts()``: input MPEG-TS as a gateway sends it (H.264 without B-frames, a keyframe every
  second, Opus or AAC), made with gst-launch-1.0; ``MediaCache`` keeps one file per kind.
* ``FakeOrch``: one ``fakeorch orch`` process (the orchestrator's five channels, the worker's
  /stream/start, the input published in real time, the output, events and data read back) whose
  log is parsed as it arrives into ``out_segments``, ``events``, ``data`` and the HTTP answers.
* ``analyse_segment()``: one output segment decoded with PyAV (codec, size, frames, keyframe first,
  audio, per-frame colour patches for pixel checks against the decoded input).

Run ``/usr/bin/python3 tests/integration/trickle_support.py`` to check this harness against
fakeorch's own Go passthrough worker (``fakeorch goworker``), without comfystream.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import av
import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]
# The peer lives beside the checkout (a CI clone is /work/<clone>, the peer /work/shared/...).
PEER_BUILD = Path(os.environ.get("COMFYSTREAM_TRICKLE_PEER_BUILD",
                                 REPO_ROOT.parent / "shared/peers/livepeer-trickle/build.sh"))
DEFAULT_FAKEORCH_DIR = Path.home() / ".cache/comfystream/fakeorch"


class HarnessError(RuntimeError):
    """The test set-up itself is broken (no peer, no media): a failure, never a skip."""


def fakeorch_binary() -> Path:
    """The fakeorch binary: ``$COMFYSTREAM_FAKEORCH`` when set and built (make test-deps), else
    built now with the peer's build.sh into ~/.cache/comfystream/fakeorch."""
    env = os.environ.get("COMFYSTREAM_FAKEORCH")
    binary = Path(env) if env else DEFAULT_FAKEORCH_DIR / "fakeorch"
    if not PEER_BUILD.is_file():
        if env and os.access(binary, os.X_OK):
            return binary  # a prebuilt peer named explicitly
        raise HarnessError(
            f"the Livepeer trickle peer's build script {PEER_BUILD} does not exist: the trickle "
            f"worker tests need ../shared/peers/livepeer-trickle beside the checkout "
            f"(or COMFYSTREAM_FAKEORCH naming a built fakeorch)")
    r = subprocess.run([str(PEER_BUILD), str(binary.parent)], capture_output=True, text=True,
                       timeout=600)
    if r.returncode != 0 or not os.access(binary, os.X_OK):
        raise HarnessError(f"{PEER_BUILD} {binary.parent} failed ({r.returncode}):\n"
                           f"{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    return binary


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- input media ------------------------------------------------------------------------------

AUDIO_ENCODERS = {"opus": "opusenc ! opusparse", "aac": "voaacenc ! aacparse"}


def make_ts(path: Path, seconds: float = 20, audio: str = "opus", pattern: str = "smpte",
            moving: bool = False, size: int = 512, fps: int = 30) -> Path:
    """MPEG-TS as a gateway publishes it (the peer README's pipeline): H.264 with a keyframe every
    second and no B-frames, plus Opus or AAC. ``moving`` scrolls the pattern (real encoder work,
    for the bench); the tests keep it still so any output frame can be compared with the input's
    first frame."""
    frames = int(round(seconds * fps))
    audio_buffers = math.ceil(seconds * 48000 / 1024)  # 4096-byte S16LE stereo buffers
    speed = " horizontal-speed=4" if moving else ""
    cmd = (f"gst-launch-1.0 -q -e videotestsrc num-buffers={frames} pattern={pattern}{speed} "
           f"! video/x-raw,width={size},height={size},framerate={fps}/1 "
           f"! x264enc key-int-max={fps} bframes=0 tune=zerolatency speed-preset=ultrafast "
           f"! h264parse ! mpegtsmux name=m ! filesink location={path} "
           f"audiotestsrc num-buffers={audio_buffers} blocksize=4096 "
           f"! audio/x-raw,rate=48000,channels=2,format=S16LE ! audioconvert "
           f"! {AUDIO_ENCODERS[audio]} ! m.")
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=300)
    if r.returncode != 0 or not path.is_file() or path.stat().st_size == 0:
        raise HarnessError(f"making {path} failed ({r.returncode}): {cmd}\n{r.stderr[-2000:]}")
    return path


class MediaCache:
    """One file per (seconds, audio, pattern, moving), made on first use in ``directory``."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._files: Dict[tuple, Path] = {}
        self._lock = threading.Lock()

    def get(self, seconds: float = 20, audio: str = "opus", pattern: str = "smpte",
            moving: bool = False) -> Path:
        key = (seconds, audio, pattern, moving)
        with self._lock:
            if key not in self._files:
                name = f"in-{seconds:g}s-{audio}-{pattern}{'-moving' if moving else ''}.ts"
                self._files[key] = make_ts(self.directory / name, seconds, audio, pattern, moving)
            return self._files[key]


# ---- pixels -----------------------------------------------------------------------------------

# Patch centres as fractions of the picture: the seven colour bars of SMPTE's top band, and two
# points below. Any still pattern works: the reference is the decoded input itself.
REGIONS: Tuple[Tuple[float, float], ...] = tuple(((i + 0.5) / 7, 0.3) for i in range(7)) + (
    (0.1, 0.9), (0.9, 0.9))
PATCH = 8  # pixels either side of a centre at 512x512, scaled with the picture


def patch_means(rgb: np.ndarray, regions=REGIONS) -> np.ndarray:
    """Mean RGB of a small square around each region centre: shape (len(regions), 3)."""
    h, w = rgb.shape[:2]
    r = max(1, round(PATCH * min(w, h) / 512))
    out = []
    for fx, fy in regions:
        x, y = int(fx * w), int(fy * h)
        out.append(rgb[max(0, y - r):y + r + 1, max(0, x - r):x + r + 1].reshape(-1, 3).mean(0))
    return np.array(out)


def reference_means(ts: Path) -> np.ndarray:
    """Patch means of the first decoded frame of an input file."""
    with av.open(str(ts)) as c:
        for frame in c.decode(video=0):
            return patch_means(frame.to_ndarray(format="rgb24"))
    raise HarnessError(f"{ts}: no video frame")


def looks_like(means: np.ndarray, reference: np.ndarray, inverted: bool,
               tolerance: float = 30) -> bool:
    """Every patch within ``tolerance`` of the reference (or of 255 - reference)."""
    want = 255.0 - reference if inverted else reference
    return bool(np.all(np.abs(means - want) <= tolerance))


def verdict(means: np.ndarray, reference: np.ndarray) -> str:
    """'inverted', 'plain' or 'other' for one frame's patch means."""
    if looks_like(means, reference, True):
        return "inverted"
    if looks_like(means, reference, False):
        return "plain"
    return "other"


# ---- output segments --------------------------------------------------------------------------

@dataclasses.dataclass
class SegmentInfo:
    path: Path
    seq: int
    size: int
    video_codec: Optional[str] = None
    width: int = 0
    height: int = 0
    frames: int = 0
    packets: int = 0  # video packets: a segment that decodes whole has frames == packets
    first_packet_key: bool = False
    first_frame_key: bool = False
    audio_codecs: List[str] = dataclasses.field(default_factory=list)
    audio_frames: int = 0
    means: List[np.ndarray] = dataclasses.field(default_factory=list)  # per decoded frame
    errors: List[str] = dataclasses.field(default_factory=list)

    @property
    def whole_ts_packets(self) -> bool:
        """A complete segment is a whole number of 188-byte TS packets."""
        return self.size > 0 and self.size % 188 == 0

    def verdicts(self, reference: np.ndarray) -> List[str]:
        return [verdict(m, reference) for m in self.means]

    def __repr__(self) -> str:
        return (f"<segment {self.seq}: {self.size} B, {self.video_codec} {self.width}x"
                f"{self.height}, {self.frames}/{self.packets} frames, key first "
                f"{self.first_packet_key}/{self.first_frame_key}, audio {self.audio_codecs} {self.audio_frames}, "
                f"errors {self.errors}>")


def analyse_segment(path: Path, pixels: bool = True) -> SegmentInfo:
    """Decode one MPEG-TS segment on its own, as the gateway's remuxer reads it."""
    m = re.search(r"(\d+)\.ts$", path.name)
    info = SegmentInfo(path=path, seq=int(m.group(1)) if m else -1, size=path.stat().st_size)
    try:
        with av.open(str(path)) as c:
            video = c.streams.video[0] if c.streams.video else None
            info.audio_codecs = [s.codec_context.name for s in c.streams.audio]
            if video is None:
                info.errors.append("no video stream")
                return info
            info.video_codec = video.codec_context.name
            streams = [video] + list(c.streams.audio)
            first_video_packet = True
            for packet in c.demux(*streams):
                if packet.stream.type == "video" and packet.size > 0:
                    info.packets += 1
                    if first_video_packet:
                        info.first_packet_key = bool(packet.is_keyframe)
                        first_video_packet = False
                try:
                    frames = packet.decode()
                except av.AVError as e:
                    info.errors.append(f"{packet.stream.type} decode: {e}")
                    continue
                for frame in frames:
                    if packet.stream.type == "audio":
                        info.audio_frames += 1
                        continue
                    if info.frames == 0:
                        info.first_frame_key = bool(frame.key_frame)
                    info.frames += 1
                    info.width, info.height = frame.width, frame.height
                    if pixels:
                        info.means.append(patch_means(frame.to_ndarray(format="rgb24")))
    except av.AVError as e:
        info.errors.append(f"open/demux: {e}")
    return info


def analyse_dir(out_dir: Path, pixels: bool = True) -> List[SegmentInfo]:
    """Every ``out_NNNNN.ts`` fakeorch wrote, in seq order."""
    return [analyse_segment(p, pixels) for p in sorted(Path(out_dir).glob("out_*.ts"))]


def input_frame_count(ts: Path) -> int:
    with av.open(str(ts)) as c:
        return sum(1 for p in c.demux(video=0) if p.size > 0)


# ---- fakeorch orch ----------------------------------------------------------------------------

_Q = r'"((?:[^"\\]|\\.)*)"'  # a Go %q string


def _unquote(s: str) -> str:
    try:
        return json.loads(f'"{s}"')
    except ValueError:
        return s


@dataclasses.dataclass
class LogLine:
    t: float  # time.monotonic() when this process read it
    clock: Optional[float]  # fakeorch's own timestamp: seconds since midnight, microseconds
    text: str


@dataclasses.dataclass
class OutSegment:
    t: float
    clock: float
    seq: int
    size: int
    err: str


@dataclasses.dataclass
class Event:
    t: float
    clock: float
    seq: int
    queue_event_type: str
    type: str
    raw: str  # fakeorch prints at most 600 characters of the body
    body: Optional[dict]

    def named(self, name: str) -> bool:
        return name in (self.queue_event_type, self.type)

    @property
    def is_error(self) -> bool:
        return "error" in self.queue_event_type.lower() or "error" in self.type.lower()


@dataclasses.dataclass
class HttpAnswer:
    t: float
    clock: float
    code: int
    body: str


_LINE = re.compile(r"^(\d\d):(\d\d):(\d\d\.\d+) (.*)$")
_OUT = re.compile(r"^OUT\s+seq=(-?\d+) bytes=(\d+) took=\S+ content-type=" + _Q + r" err=(.*)$")
_EVENT = re.compile(r"^EVENT seq=(-?\d+) queue_event_type=" + _Q + r" type=" + _Q +
                    r" content-type=" + _Q + r" body=(.*)$")
_DATA = re.compile(r"^DATA seq=(-?\d+) bytes=(\d+) body=(.*)$")
_START_OK = re.compile(r"^stream/start -> (\d+) ?(.*)$")
_START_FAIL = re.compile(r"^stream/start failed: code=(\d+) err=(.*?) body=(.*)$")
_PARAMS = re.compile(r"^POST /stream/params (.*) -> (\d+) ?(.*?) err=(.*)$")
_STOP = re.compile(r"^POST /stream/stop -> (\d+) ?(.*?) err=(.*)$")
_CTRL_UPDATE = re.compile(r"^CONTROL sent update (.*) err=(.*)$")
_URL = re.compile(r"^\s+(subscribe_url|publish_url|control_url|events_url|data_url)\s+(\S+)$")
_SERVER = re.compile(r"^trickle server on (http://\S+)\s+stream id (\S+)$")


class FakeOrch:
    """One ``fakeorch orch`` run. Without ``worker`` it only hosts the five channels (until
    :meth:`stop`), and the test drives the worker's API itself with :attr:`urls`."""

    def __init__(self, binary: Path, workdir: Path, stream_id: str, worker: Optional[str] = None,
                 input_ts: Optional[Path] = None, params: Optional[dict] = None,
                 update: Optional[dict] = None, update_after_s: float = 5,
                 update_via: str = "control", extra: Sequence[str] = ()):
        self.stream_id = stream_id
        self.workdir = Path(workdir) / stream_id
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.out_dir = self.workdir / "segments"
        self.out_file = self.workdir / "out.ts"
        self.log_path = self.workdir / "fakeorch.log"
        cmd = [str(binary), "orch", "-id", stream_id, "-out", str(self.out_file),
               "-out-dir", str(self.out_dir)]
        if worker:
            cmd += ["-worker", worker]
        if input_ts:
            cmd += ["-in", str(input_ts)]
        if params is not None:
            cmd += ["-params", json.dumps(params)]
        if update is not None:
            cmd += ["-update", json.dumps(update), "-update-after", f"{update_after_s}s",
                    "-update-via", update_via]
        self.cmd = cmd + list(extra)
        self.lines: List[LogLine] = []
        self.stdout_lines: List[str] = []
        self.out_segments: List[OutSegment] = []
        self.events: List[Event] = []
        self.data: List[LogLine] = []
        self.start_answer: Optional[HttpAnswer] = None
        self.params_answers: List[HttpAnswer] = []
        self.stop_answer: Optional[HttpAnswer] = None
        self.control_updates: List[LogLine] = []
        self.urls: Dict[str, str] = {}
        self.trickle_base: Optional[str] = None
        self.start_posted: Optional[LogLine] = None
        self.input_done: Optional[LogLine] = None
        # The output channel's subscription ended (the worker DELETEd it, or fakeorch shut down).
        self.output_ended: Optional[LogLine] = None
        # ... while fakeorch waited for the output after the input ended (-drain): only the
        # worker can have closed it then.
        self.output_ended_in_drain: Optional[LogLine] = None
        self.proc: Optional[subprocess.Popen] = None
        self._lock = threading.Lock()
        self._threads: List[threading.Thread] = []

    # ---- process ----
    def start(self) -> "FakeOrch":
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, errors="replace", cwd=str(self.workdir))
        for stream, fn in ((self.proc.stderr, self._on_log), (self.proc.stdout, self._on_stdout)):
            th = threading.Thread(target=self._pump, args=(stream, fn), daemon=True)
            th.start()
            self._threads.append(th)
        return self

    def _pump(self, stream, fn: Callable[[str], None]) -> None:
        for raw in stream:
            line = raw.rstrip("\n")
            with self._lock:
                self._log.write(line + "\n")
                self._log.flush()
                fn(line)

    def _on_stdout(self, line: str) -> None:
        self.stdout_lines.append(line)

    def _on_log(self, line: str) -> None:
        now = time.monotonic()
        m = _LINE.match(line)
        if not m:
            self.lines.append(LogLine(now, None, line))
            return
        clock = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
        text = m.group(4)
        ll = LogLine(now, clock, text)
        self.lines.append(ll)
        if (g := _OUT.match(text)):
            self.out_segments.append(OutSegment(now, clock, int(g.group(1)), int(g.group(2)),
                                                g.group(4)))
        elif (g := _EVENT.match(text)):
            raw = g.group(5)
            try:
                body = json.loads(raw)
            except ValueError:
                body = None  # truncated by fakeorch (600 characters) or not JSON
            self.events.append(Event(now, clock, int(g.group(1)), _unquote(g.group(2)),
                                     _unquote(g.group(3)), raw, body))
        elif _DATA.match(text):
            self.data.append(ll)
        elif (g := _START_OK.match(text)):
            self.start_answer = HttpAnswer(now, clock, int(g.group(1)), g.group(2))
        elif (g := _START_FAIL.match(text)):
            self.start_answer = HttpAnswer(now, clock, int(g.group(1)),
                                           f"{g.group(3)} (err {g.group(2)})")
        elif (g := _PARAMS.match(text)):
            self.params_answers.append(HttpAnswer(now, clock, int(g.group(2)), g.group(3)))
        elif (g := _STOP.match(text)):
            self.stop_answer = HttpAnswer(now, clock, int(g.group(1)), g.group(2))
        elif _CTRL_UPDATE.match(text):
            self.control_updates.append(ll)
        elif (g := _URL.match(text)):
            self.urls[g.group(1)] = g.group(2)
        elif (g := _SERVER.match(text)):
            self.trickle_base = g.group(1)
        elif text.startswith("POST ") and "/stream/start " in text:
            self.start_posted = ll
        elif re.match(r"^IN\s+done", text):
            self.input_done = ll
        elif text.startswith("out subscription ended"):
            self.output_ended = self.output_ended or ll
        elif text.startswith("output subscription ended"):
            self.output_ended_in_drain = ll

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait(self, timeout: float) -> int:
        """Wait for the run to end (input published, output drained, /stream/stop sent)."""
        rc = self.proc.wait(timeout)
        for th in self._threads:
            th.join(5)
        return rc

    def stop(self) -> None:
        """SIGINT (fakeorch shuts its channels down cleanly), then SIGKILL."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for th in self._threads:
            th.join(5)
        if not self._log.closed:
            self._log.close()

    def wait_for(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        """Poll ``predicate`` (synchronously); HarnessError with the log tail after ``timeout``."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError(f"fakeorch {self.stream_id}: no {what} within {timeout}s\n"
                                   f"{self.log_tail()}")
            time.sleep(0.02)

    def wait_channels(self, timeout: float = 10) -> Dict[str, str]:
        """The channel URLs, once fakeorch has created them (host-only mode)."""
        self.wait_for(lambda: len(self.urls) == 5, timeout, "channel URLs")
        return dict(self.urls)

    # ---- what it saw ----
    def events_named(self, name: str) -> List[Event]:
        return [e for e in self.events if e.named(name)]

    def error_events(self) -> List[Event]:
        return [e for e in self.events if e.is_error]

    def summary(self) -> Dict[str, int]:
        """The numbers of the final summary (stdout): input/output segments and bytes, events."""
        out: Dict[str, int] = {}
        text = "\n".join(self.stdout_lines)
        for key, pat in (("in_segments", r"input\s+segments=(\d+)"),
                         ("in_bytes", r"input\s+segments=\d+ bytes=(\d+)"),
                         ("out_segments", r"output segments=(\d+)"),
                         ("out_bytes", r"output segments=\d+ bytes=(\d+)"),
                         ("events", r"events=(\d+)"), ("data", r"data=(\d+)")):
            m = re.search(pat, text)
            if m:
                out[key] = int(m.group(1))
        return out

    def log_tail(self, n: int = 60) -> str:
        with self._lock:
            return "\n".join(x.text for x in self.lines[-n:])

    def __repr__(self) -> str:
        code = self.start_answer and self.start_answer.code
        return (f"<fakeorch {self.stream_id}: start {code}, "
                f"{len(self.out_segments)} out segments, events "
                f"{[(e.queue_event_type, e.type) for e in self.events]}>")


# ---- self-check against fakeorch's Go passthrough worker -------------------------------------

class TlsRelay:
    """An https front for fakeorch's plain-HTTP trickle server, as an orchestrator serves its
    channels (https with a self-signed certificate): TLS is terminated here and the bytes are
    relayed unchanged to ``target`` ("host:port") on 127.0.0.1."""

    def __init__(self, target: str, cert: Path, key: Path):
        import ssl
        self.target = target
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(str(cert), str(key))
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"https://127.0.0.1:{self.sock.getsockname()[1]}"
        self.handshake_failures = 0
        self._closed = False

    def start(self) -> "TlsRelay":
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def close(self) -> None:
        self._closed = True
        self.sock.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            tls = self.ctx.wrap_socket(conn, server_side=True)
        except OSError:
            self.handshake_failures += 1  # the client refused the certificate
            conn.close()
            return
        host, port = self.target.rsplit(":", 1)
        try:
            upstream = socket.create_connection((host, int(port)))
        except OSError:
            tls.close()
            return

        def pump(src, dst) -> None:
            try:
                while data := src.recv(65536):
                    dst.sendall(data)
            except OSError:
                pass
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        threading.Thread(target=pump, args=(upstream, tls), daemon=True).start()
        pump(tls, upstream)


def _selfcheck() -> int:
    """Proves the harness (media, log parsing, segment analysis) with `fakeorch goworker`, which
    copies the input segments to the output and sends heartbeats every 2 s here."""
    import tempfile
    binary = fakeorch_binary()
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        media = MediaCache(work / "media")
        ok = True
        port = free_port()
        worker = subprocess.Popen([str(binary), "goworker", "-listen", f"127.0.0.1:{port}",
                                   "-heartbeat", "2s"], stdout=subprocess.DEVNULL,
                                  stderr=open(work / "goworker.log", "w"))
        try:
            time.sleep(0.5)  # the Go worker prints nothing when it listens; a self-check only
            for audio in ("opus", "aac"):
                ts = media.get(6, audio)
                ref = reference_means(ts)
                fo = FakeOrch(binary, work, f"self-{audio}", worker=f"http://127.0.0.1:{port}",
                              input_ts=ts, params={"prompts": "x"}, update={"k": 1},
                              update_after_s=2, update_via="http",
                              extra=["-drain", "3s"]).start()
                rc = fo.wait(60)
                segs = analyse_dir(fo.out_dir)
                frames = sum(s.frames for s in segs)
                want = input_frame_count(ts)
                checks = {
                    "exit 0": rc == 0,
                    "start 200": fo.start_answer is not None and fo.start_answer.code == 200,
                    "params 200": [a.code for a in fo.params_answers] == [200],
                    "stop 200": fo.stop_answer is not None and fo.stop_answer.code == 200,
                    "segments logged = files": len(fo.out_segments) == len(segs) > 0,
                    "summary": fo.summary().get("out_segments") == len(segs),
                    "h264 512x512": all((s.video_codec, s.width, s.height) == ("h264", 512, 512)
                                        for s in segs),
                    "keyframe first": all(s.first_packet_key and s.first_frame_key for s in segs),
                    "whole TS packets": all(s.whole_ts_packets for s in segs),
                    "audio": all(s.audio_codecs == [audio] and s.audio_frames > 0 for s in segs),
                    "frames": frames >= 0.9 * want,
                    "plain pixels": all(v == "plain" for s in segs for v in s.verdicts(ref)),
                    "heartbeats": len(fo.events_named("stream_heartbeat")) >= 2,
                    "events parsed": all(e.body is not None for e in fo.events),
                    "no decode errors": not any(s.errors for s in segs),
                    "every packet decodes": all(s.frames == s.packets for s in segs),
                }
                print(f"{audio}: {len(segs)} segments, {frames}/{want} frames, "
                      f"{len(fo.events)} events, log {len(fo.lines)} lines")
                for name, good in checks.items():
                    print(f"  {'ok  ' if good else 'FAIL'} {name}")
                    ok = ok and good
                fo.stop()
            # host-only mode: the five channel URLs
            host = FakeOrch(binary, work, "self-host").start()
            urls = host.wait_channels()
            good = urls["publish_url"].endswith("/self-host-out") and host.trickle_base
            print(f"host-only: {'ok  ' if good else 'FAIL'} channel URLs {urls}")
            ok = ok and bool(good)
            host.stop()
        finally:
            worker.terminate()
            worker.wait()
    print("harness OK" if ok else "harness FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(_selfcheck())
