"""Small WHIP/WHEP client library for comfystream, built on aiortc.

Used by the example programs (whip_publish.py, whep_record.py) and by the integration tests in
tests/integration. It needs aiortc, PyAV and numpy (Debian: python3-aiortc python3-av
python3-numpy; run it with /usr/bin/python3 on Debian 12).

What it provides:

* ``use_loopback_only()`` / ``make_peer_connection()``: aiortc peers that gather ICE host candidates
  on 127.0.0.1 only and contact no STUN server.
* ``PatternTrack``: a synthetic video source (four solid-colour quadrants plus a barcode strip that
  carries the frame index and the send time), and ``decode_barcode()`` to read it back from a
  decoded frame, plain or colour-inverted.
* ``ToneTrack``: a 48 kHz sine tone, so that an Opus audio m-line is offered and fed.
* ``whip_publish()`` -> ``Publisher`` and ``whep_subscribe()`` -> ``Viewer``: non-trickle WHIP /
  WHEP sessions (RFC 9725 / draft-ietf-wish-whep) with ``close()`` = DELETE + pc.close().
* ``http_request()``: the raw HTTP helper (status, all headers, body), and ``HttpError`` raised when
  a WHIP/WHEP POST does not answer 201.
"""

from __future__ import annotations

import asyncio
import collections
import fractions
import hashlib
import http.client
import json
import math
import ssl
import time
import urllib.parse
from typing import Callable, Deque, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
from av import AudioFrame, VideoFrame

import aioice.ice
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
    VideoStreamTrack,
)
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError

__all__ = [
    "DEFAULT_COLORS",
    "ALT_COLORS",
    "HttpError",
    "HttpResponse",
    "PatternTrack",
    "Publisher",
    "Sessions",
    "ToneTrack",
    "Viewer",
    "decode_barcode",
    "encode_barcode",
    "expected_colors",
    "http_request",
    "make_offer",
    "make_peer_connection",
    "quadrant_colors",
    "use_loopback_only",
    "wait_until",
    "whep_subscribe",
    "whip_publish",
]

# --------------------------------------------------------------------------------------------
# ICE: loopback only, no STUN
# --------------------------------------------------------------------------------------------

_ORIGINAL_GET_HOST_ADDRESSES = aioice.ice.get_host_addresses
_host_addresses: Optional[List[str]] = None


def use_loopback_only(addresses: Sequence[str] = ("127.0.0.1",)) -> None:
    """Make aioice gather host candidates on ``addresses`` only (default: 127.0.0.1).

    aioice (0.8/0.9) calls the module-level ``aioice.ice.get_host_addresses(use_ipv4, use_ipv6)``
    from ``Connection.gather_candidates`` and deliberately skips 127.0.0.1, so a stock aiortc peer
    can never talk to a server that only listens on loopback. The patch is process-wide and
    idempotent.
    """
    global _host_addresses
    _host_addresses = list(addresses)

    def _get_host_addresses(use_ipv4: bool, use_ipv6: bool) -> List[str]:
        out = []
        for a in _host_addresses or []:
            if ":" in a:
                if use_ipv6:
                    out.append(a)
            elif use_ipv4:
                out.append(a)
        return out

    aioice.ice.get_host_addresses = _get_host_addresses


def use_all_interfaces() -> None:
    """Undo :func:`use_loopback_only` (aioice's own interface discovery)."""
    global _host_addresses
    _host_addresses = None
    aioice.ice.get_host_addresses = _ORIGINAL_GET_HOST_ADDRESSES


def is_loopback_url(url: str) -> bool:
    host = urllib.parse.urlsplit(url).hostname or ""
    return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")


def make_peer_connection(loopback: bool = True) -> RTCPeerConnection:
    """An RTCPeerConnection with no ICE servers (no STUN traffic at all).

    With ``loopback`` (the default) host candidates are gathered on 127.0.0.1 only.
    """
    if loopback:
        use_loopback_only()
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


# --------------------------------------------------------------------------------------------
# Test pattern: four solid quadrants + barcode strip
# --------------------------------------------------------------------------------------------

# Top-left, top-right, bottom-left, bottom-right. Well separated, and far from their inverses.
DEFAULT_COLORS: Tuple[Tuple[int, int, int], ...] = (
    (200, 40, 40),
    (40, 200, 40),
    (40, 40, 200),
    (220, 220, 220),
)
# A second palette, distinct from DEFAULT_COLORS and from its inverse, for multi-stream tests.
ALT_COLORS: Tuple[Tuple[int, int, int], ...] = (
    (230, 160, 20),
    (20, 160, 230),
    (160, 20, 160),
    (90, 90, 90),
)

BARCODE_BITS = 32  # blocks per row
BARCODE_ROWS = 3  # frame index, send time (ms), check word
BARCODE_BLOCK_H = 10  # px
_CHECK_MAGIC = 0xA5C3_5A3C


def _barcode_block_w(width: int) -> int:
    return width // BARCODE_BITS


def barcode_height() -> int:
    return BARCODE_ROWS * BARCODE_BLOCK_H


def _check_word(index: int, send_ms: int) -> int:
    return (index ^ ((send_ms << 7 | send_ms >> 25) & 0xFFFFFFFF) ^ _CHECK_MAGIC) & 0xFFFFFFFF


def _word_bits(word: int) -> np.ndarray:
    return np.array([(word >> (31 - i)) & 1 for i in range(32)], dtype=np.uint8)


def encode_barcode(img: np.ndarray, index: int, send_ms: int) -> None:
    """Draw the barcode strip into the top rows of ``img`` (H x W x 3 uint8, modified in place).

    Layout: 3 rows of 32 black/white blocks, each ``width // 32`` px wide and 10 px high, MSB
    first: row 0 the frame index, row 1 the send time in ms (monotonic clock, mod 2**32), row 2 a
    check word so that a decoder can reject garbage (and detect colour inversion).
    """
    h, w = img.shape[:2]
    bw = _barcode_block_w(w)
    if bw < 8 or h < barcode_height() + 16:
        raise ValueError(f"frame {w}x{h} too small for the barcode (need width >= 256)")
    index &= 0xFFFFFFFF
    send_ms &= 0xFFFFFFFF
    bits = np.stack(
        [_word_bits(index), _word_bits(send_ms), _word_bits(_check_word(index, send_ms))]
    )  # 3 x 32
    strip = np.repeat(np.repeat(bits, BARCODE_BLOCK_H, axis=0), bw, axis=1) * 255  # 30 x 32*bw
    img[: strip.shape[0], : strip.shape[1], :] = strip[:, :, None]
    if strip.shape[1] < w:  # right margin (width not a multiple of 32): black
        img[: strip.shape[0], strip.shape[1]:, :] = 0


def decode_barcode(rgb: np.ndarray, inverted: Optional[bool] = False) -> Optional[Tuple[int, int]]:
    """Read ``(frame_index, send_ms)`` back from a decoded RGB frame, or None if unreadable.

    Each block is sampled at its centre (mean of a small patch, thresholded at mid-grey), which
    survives H264/VP8 at ~0.5-1 Mbps. ``inverted=True`` for a colour-inverted frame (the
    ``invert`` workflow), ``inverted=None`` to try both; the check word decides.
    """
    h, w = rgb.shape[:2]
    bw = _barcode_block_w(w)
    if bw < 4 or h < barcode_height():
        return None
    # mean over channels of a (up to) 4x4 patch around each block centre
    ys = np.arange(BARCODE_ROWS) * BARCODE_BLOCK_H + BARCODE_BLOCK_H // 2
    xs = np.arange(BARCODE_BITS) * bw + bw // 2
    r = max(1, min(2, bw // 4, BARCODE_BLOCK_H // 4))
    acc = np.zeros((BARCODE_ROWS, BARCODE_BITS), dtype=np.float64)
    for dy in range(-r, r):
        for dx in range(-r, r):
            acc += rgb[ys[:, None] + dy, xs[None, :] + dx, :].astype(np.float64).mean(axis=2)
    levels = acc / (4 * r * r)
    bits = (levels >= 128).astype(np.uint8)
    tries = [False, True] if inverted is None else [bool(inverted)]
    for inv in tries:
        b = 1 - bits if inv else bits
        words = []
        for row in range(BARCODE_ROWS):
            v = 0
            for bit in b[row]:
                v = (v << 1) | int(bit)
            words.append(v)
        index, send_ms, check = words
        if check == _check_word(index, send_ms):
            return index, send_ms
    return None


def quadrant_colors(rgb: np.ndarray, patch: int = 9) -> List[Tuple[float, float, float]]:
    """Mean colour of a ``patch`` x ``patch`` square at the centre of each quadrant.

    Order: top-left, top-right, bottom-left, bottom-right (as in :data:`DEFAULT_COLORS`).
    """
    h, w = rgb.shape[:2]
    out = []
    half = patch // 2
    for cy in (h // 4, 3 * h // 4):
        for cx in (w // 4, 3 * w // 4):
            p = rgb[cy - half: cy + half + 1, cx - half: cx + half + 1, :].astype(np.float64)
            out.append(tuple(float(x) for x in p.reshape(-1, 3).mean(axis=0)))
    return out


def expected_colors(colors: Iterable[Tuple[int, int, int]], inverted: bool) -> List[Tuple[int, int, int]]:
    return [tuple(255 - c for c in col) if inverted else tuple(col) for col in colors]


def colors_match(
    got: Sequence[Sequence[float]], want: Sequence[Sequence[int]], tolerance: float = 30
) -> bool:
    return all(abs(g - w) <= tolerance for gc, wc in zip(got, want) for g, w in zip(gc, wc))


def monotonic_ms() -> int:
    return int(time.monotonic() * 1000) & 0xFFFFFFFF


class PatternTrack(VideoStreamTrack):
    """Synthetic video: four solid-colour quadrants plus the barcode strip (see encode_barcode).

    Frame ``pts`` advances at exactly ``fps`` on a 90 kHz clock (aiortc's ``next_timestamp`` for
    the 30 fps default), and frames are paced in real time. ``start_index`` lets several
    publishers use disjoint index ranges, so a viewer can tell whose frames it receives.
    """

    def __init__(
        self,
        width: int = 320,
        height: int = 240,
        fps: int = 30,
        colors: Sequence[Tuple[int, int, int]] = DEFAULT_COLORS,
        start_index: int = 0,
    ) -> None:
        super().__init__()
        if width % 2 or height % 2:
            raise ValueError("width and height must be even")
        self.width = width
        self.height = height
        self.fps = fps
        self.colors = tuple(tuple(c) for c in colors)
        self.start_index = start_index
        self.frames_sent = 0
        bg = np.zeros((height, width, 3), dtype=np.uint8)
        hh, hw = height // 2, width // 2
        bg[:hh, :hw] = self.colors[0]
        bg[:hh, hw:] = self.colors[1]
        bg[hh:, :hw] = self.colors[2]
        bg[hh:, hw:] = self.colors[3]
        self._background = bg
        self._clock = 90000
        self._ts_start: Optional[float] = None
        self._frame_no = 0

    async def next_timestamp(self) -> Tuple[int, fractions.Fraction]:
        if self.fps == 30:
            return await super().next_timestamp()
        if self.readyState != "live":
            raise MediaStreamError
        if self._ts_start is None:
            self._ts_start = time.time()
            self._frame_no = 0
        else:
            self._frame_no += 1
            wait = self._ts_start + self._frame_no / self.fps - time.time()
            await asyncio.sleep(wait)
        return self._frame_no * self._clock // self.fps, fractions.Fraction(1, self._clock)

    def make_image(self, index: int, send_ms: int) -> np.ndarray:
        img = self._background.copy()
        encode_barcode(img, index, send_ms)
        return img

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        index = (self.start_index + self.frames_sent) & 0xFFFFFFFF
        img = self.make_image(index, monotonic_ms())
        frame = VideoFrame.from_ndarray(img, format="rgb24")
        frame.pts = pts
        frame.time_base = time_base
        self.frames_sent += 1
        return frame


class ToneTrack(AudioStreamTrack):
    """A quiet sine tone, 48 kHz mono s16 in 20 ms frames (Opus-friendly)."""

    def __init__(self, frequency: float = 440.0, amplitude: float = 0.1, sample_rate: int = 48000):
        super().__init__()
        self.frequency = frequency
        self.amplitude = amplitude
        self.sample_rate = sample_rate
        self.samples_per_frame = sample_rate // 50
        self._t0: Optional[float] = None
        self._pos = 0
        self.frames_sent = 0

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        n = self.samples_per_frame
        if self._t0 is None:
            self._t0 = time.time()
        else:
            wait = self._t0 + (self._pos + n) / self.sample_rate - time.time()
            await asyncio.sleep(wait)
            self._pos += n
        t = (np.arange(n) + self._pos) / self.sample_rate
        pcm = (np.sin(2 * math.pi * self.frequency * t) * self.amplitude * 32767).astype("<i2")
        frame = AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.pts = self._pos
        frame.sample_rate = self.sample_rate
        frame.time_base = fractions.Fraction(1, self.sample_rate)
        self.frames_sent += 1
        return frame


# --------------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------------


class HttpResponse:
    """A complete HTTP response: ``status``, ``headers`` (list of (name, value), repeats kept),
    ``body`` (bytes)."""

    def __init__(self, method: str, url: str, status: int, reason: str,
                 headers: List[Tuple[str, str]], body: bytes) -> None:
        self.method = method
        self.url = url
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body

    def header(self, name: str, default: Optional[str] = None) -> Optional[str]:
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return default

    def header_all(self, name: str) -> List[str]:
        """Every value of a header, repeated headers and comma-joined ones alike (for ``Link``)."""
        out: List[str] = []
        for k, v in self.headers:
            if k.lower() == name.lower():
                out.extend(_split_header_list(v))
        return out

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self) -> str:
        return f"<HttpResponse {self.method} {self.url} -> {self.status} {self.text[:200]!r}>"


def _split_header_list(value: str) -> List[str]:
    """Split a comma-joined header value (``a, b``) on commas outside quotes and <...>."""
    parts, cur, quote, angle = [], [], False, False
    for ch in value:
        if ch == '"' and not angle:
            quote = not quote
        elif ch == "<" and not quote:
            angle = True
        elif ch == ">" and not quote:
            angle = False
        if ch == "," and not quote and not angle:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    if "".join(cur).strip():
        parts.append("".join(cur).strip())
    return parts


class HttpError(Exception):
    """A WHIP/WHEP request that did not give the expected status; ``.response`` holds it all."""

    def __init__(self, response: HttpResponse, expected: int = 201) -> None:
        self.response = response
        self.status = response.status
        self.headers = response.headers
        self.body = response.body
        super().__init__(
            f"{response.method} {response.url}: expected {expected}, got {response.status} "
            f"{response.reason}: {response.text[:500]}"
        )


_TLS_CA_FILE: Optional[str] = None


def set_tls_ca(ca_file: Optional[str]) -> None:
    """Trust this PEM certificate (e.g. a server's self-signed one) for https:// URLs."""
    global _TLS_CA_FILE
    _TLS_CA_FILE = ca_file


def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=_TLS_CA_FILE)


def bearer(token: Optional[str]) -> Dict[str, str]:
    """The Authorization header for a Bearer token (RFC 6750 §2.1); {} without one."""
    return {"Authorization": f"Bearer {token}"} if token else {}


def http_request_sync(method: str, url: str, body: Optional[bytes] = None,
                      headers: Optional[Dict[str, str]] = None,
                      timeout: float = 15.0) -> HttpResponse:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(parts.hostname, parts.port or 443, timeout=timeout,
                                           context=_tls_context())
    elif parts.scheme in ("http", ""):
        conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    else:
        raise ValueError(f"only http:// and https:// URLs are supported: {url}")
    try:
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        if isinstance(body, str):
            body = body.encode("utf-8")
        conn.request(method, path, body=body, headers=dict(headers or {}))
        resp = conn.getresponse()
        data = resp.read()
        return HttpResponse(method, url, resp.status, resp.reason, resp.getheaders(), data)
    finally:
        conn.close()


async def http_request(method: str, url: str, body: Optional[bytes] = None,
                       headers: Optional[Dict[str, str]] = None,
                       timeout: float = 15.0) -> HttpResponse:
    """Run one HTTP request in a worker thread (no event-loop blocking)."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(
        None, lambda: http_request_sync(method, url, body, headers, timeout)
    )


async def get_json(base_url: str, path: str):
    r = await http_request("GET", _join(base_url, path))
    if r.status != 200:
        raise HttpError(r, expected=200)
    return r.json()


def _join(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + path


def _endpoint(base_url: str, path: str, params: Dict[str, Optional[str]]) -> str:
    q = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
    return _join(base_url, path) + (("?" + q) if q else "")


async def post_sdp(url: str, sdp: str, content_type: Optional[str] = "application/sdp",
                   extra_headers: Optional[Dict[str, str]] = None) -> HttpResponse:
    headers = dict(extra_headers or {})
    if content_type is not None:
        headers["Content-Type"] = content_type
    return await http_request("POST", url, sdp.encode("utf-8"), headers)


# --------------------------------------------------------------------------------------------
# SDP offers
# --------------------------------------------------------------------------------------------


def video_codec_preferences(codec: Optional[str]):
    """aiortc codec capabilities restricting video to one codec (+ rtx). None: aiortc's default."""
    if codec is None:
        return None
    codec = codec.upper()
    caps = RTCRtpSender.getCapabilities("video").codecs
    if codec == "H264":
        chosen = [c for c in caps if c.mimeType.lower() == "video/h264"
                  and c.parameters.get("packetization-mode") == "1"]
    elif codec == "VP8":
        chosen = [c for c in caps if c.mimeType.lower() == "video/vp8"]
    else:
        raise ValueError(f"unsupported codec {codec!r} (H264 or VP8)")
    if not chosen:
        raise RuntimeError(f"aiortc has no {codec} codec")
    return chosen + [c for c in caps if c.mimeType.lower() == "video/rtx"]


def audio_codec_preferences(codec: Optional[str]):
    if codec is None:
        return None
    caps = RTCRtpSender.getCapabilities("audio").codecs
    chosen = [c for c in caps if c.mimeType.lower() == "audio/" + codec.lower()]
    if not chosen:
        raise ValueError(f"aiortc has no audio codec {codec!r}")
    return chosen


async def make_offer(pc: RTCPeerConnection, direction: str, video=True, audio=True,
                     video_codec: Optional[str] = None, audio_codec: Optional[str] = None) -> str:
    """Add transceivers (``video``/``audio``: True for a bare transceiver or a track), create the
    offer, gather (aiortc's setLocalDescription waits for gathering), return the full SDP."""
    if video:
        t = pc.addTransceiver(video if isinstance(video, MediaStreamTrack) else "video",
                              direction=direction)
        prefs = video_codec_preferences(video_codec)
        if prefs:
            t.setCodecPreferences(prefs)
    if audio:
        t = pc.addTransceiver(audio if isinstance(audio, MediaStreamTrack) else "audio",
                              direction=direction)
        prefs = audio_codec_preferences(audio_codec)
        if prefs:
            t.setCodecPreferences(prefs)
    offer = await pc.createOffer()
    await pc.setLocalDescription(offer)
    return pc.localDescription.sdp


async def offer_sdp(direction: str = "sendonly", video=True, audio=True,
                    video_codec: Optional[str] = None, audio_codec: Optional[str] = None) -> str:
    """A throwaway offer (for negative tests): builds a peer, returns its SDP, closes the peer."""
    pc = make_peer_connection()
    try:
        if direction == "sendonly":
            v = PatternTrack() if video else False
            a = ToneTrack() if audio else False
        else:
            v, a = video, audio
        return await make_offer(pc, direction, v, a, video_codec, audio_codec)
    finally:
        await pc.close()


# --------------------------------------------------------------------------------------------
# Sessions
# --------------------------------------------------------------------------------------------


def public_id(session_id: str) -> str:
    """The name the server's stats give a session: SHA-256 of the resource id, 16 hex digits."""
    return hashlib.sha256(f"comfystream-public:{session_id}".encode()).hexdigest()[:16]


class _Session:
    kind = "session"

    def __init__(self, pc: RTCPeerConnection, response: HttpResponse, request_url: str,
                 token: Optional[str] = None):
        self.pc = pc
        self.token = token  # sent again on DELETE (RFC 9725 §4.3)
        self.response = response
        self.answer_sdp = response.text
        loc = response.header("Location")
        if not loc:
            raise RuntimeError(f"201 without Location header: {response!r}")
        self.resource_path = loc  # as sent by the server (relative, e.g. /whip/<id>)
        self.location = urllib.parse.urljoin(request_url, loc)
        self.id = urllib.parse.urlsplit(self.location).path.rstrip("/").rsplit("/", 1)[-1]
        # How /whip-stats and /whep-stats name this session: the URL itself is never listed.
        self.public_id = public_id(self.id)
        self.delete_response: Optional[HttpResponse] = None
        self.closed = False

    @property
    def connection_state(self) -> str:
        return self.pc.connectionState

    async def wait_connected(self, timeout: float = 10.0) -> None:
        """Wait for connectionState "connected"; fail at once on "failed"/"closed"."""
        def connected() -> bool:
            if self.pc.connectionState in ("failed", "closed"):
                raise ConnectionError(f"{self.kind} {self.id}: connection {self.pc.connectionState}")
            return self.pc.connectionState == "connected"

        await wait_until(connected, timeout,
                         lambda: f"{self.kind} {self.id} connected (state {self.pc.connectionState})")

    async def delete(self) -> HttpResponse:
        self.delete_response = await http_request("DELETE", self.location,
                                                  headers=bearer(self.token))
        return self.delete_response

    async def close(self, delete: bool = True) -> None:
        """DELETE the resource (unless ``delete=False``), then close the peer connection."""
        if self.closed:
            return
        self.closed = True
        try:
            if delete:
                try:
                    await self.delete()
                except OSError:
                    pass  # server already gone
        finally:
            await self._stop()
            await self.pc.close()

    async def _stop(self) -> None:
        pass


class Publisher(_Session):
    kind = "publisher"

    def __init__(self, pc, response, request_url, video_track, audio_track):
        super().__init__(pc, response, request_url)
        self.video_track = video_track
        self.audio_track = audio_track


class Viewer(_Session):
    """A WHEP viewer. A background task per track consumes frames and records:

    * ``video_frames``, ``audio_frames``: counts;
    * ``sizes``: Counter of (width, height);
    * ``indices``: barcode frame index of each decoded frame (None when unreadable),
      ``latencies_ms``: now - barcode send time (same host only);
    * ``last_frames``: the last ``keep_frames`` frames as RGB ndarrays;
    * ``on_frame(viewer, rgb, decoded)``: optional callback.
    """

    kind = "viewer"

    def __init__(self, pc, response, request_url, keep_frames: int = 5,
                 on_frame: Optional[Callable] = None, decode: bool = True):
        super().__init__(pc, response, request_url)
        self.video_frames = 0
        self.audio_frames = 0
        self.sizes: collections.Counter = collections.Counter()
        self.indices: List[Optional[int]] = []
        self.latencies_ms: List[int] = []
        self.last_frames: Deque[np.ndarray] = collections.deque(maxlen=keep_frames)
        self.first_frame_at: Optional[float] = None
        self.on_frame = on_frame
        self.decode = decode
        self.errors: List[BaseException] = []
        self.tracks: List[MediaStreamTrack] = []
        self._tasks: List[asyncio.Task] = []

    def _attach(self, track: MediaStreamTrack) -> None:
        if track.kind == "video":
            self._tasks.append(asyncio.ensure_future(self._consume_video(track)))
        elif track.kind == "audio":
            self._tasks.append(asyncio.ensure_future(self._consume_audio(track)))

    async def _consume_video(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                rgb = frame.to_ndarray(format="rgb24")
                decoded = decode_barcode(rgb, inverted=None) if self.decode else None
                now = monotonic_ms()
                self.sizes[(frame.width, frame.height)] += 1
                self.last_frames.append(rgb)
                self.indices.append(decoded[0] if decoded else None)
                if decoded:
                    self.latencies_ms.append((now - decoded[1]) & 0xFFFFFFFF)
                if self.first_frame_at is None:
                    self.first_frame_at = time.monotonic()
                self.video_frames += 1
                if self.on_frame:
                    self.on_frame(self, rgb, decoded)
        except MediaStreamError:
            pass
        except asyncio.CancelledError:
            raise
        except Exception as e:  # keep it visible to tests
            self.errors.append(e)

    async def _consume_audio(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                await track.recv()
                self.audio_frames += 1
        except MediaStreamError:
            pass
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self.errors.append(e)

    async def _stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            try:
                await t
            except (asyncio.CancelledError, Exception):
                pass

    # ---- waiting helpers ----

    async def wait_frames(self, n: int, timeout: float = 10.0) -> None:
        """Wait until ``n`` video frames in total have been decoded."""
        await wait_until(lambda: self.video_frames >= n, timeout,
                         f"viewer {self.id}: {n} video frames (got {self.video_frames})")

    async def wait_more_frames(self, n: int, timeout: float = 10.0) -> None:
        """Wait for ``n`` more video frames than now."""
        await self.wait_frames(self.video_frames + n, timeout)

    async def wait_audio(self, n: int, timeout: float = 10.0) -> None:
        await wait_until(lambda: self.audio_frames >= n, timeout,
                         f"viewer {self.id}: {n} audio frames (got {self.audio_frames})")

    def decoded_indices(self, since: int = 0) -> List[int]:
        return [i for i in self.indices[since:] if i is not None]

    def delivery(self, since: int = 0) -> Tuple[int, int, float]:
        """(distinct barcode indices, span max-min+1, ratio) over frames received from ``since``."""
        idx = self.decoded_indices(since)
        if not idx:
            return 0, 0, 0.0
        span = max(idx) - min(idx) + 1
        distinct = len(set(idx))
        return distinct, span, distinct / span

    def last_rgb(self) -> np.ndarray:
        if not self.last_frames:
            raise RuntimeError(f"viewer {self.id} has no frame yet")
        return self.last_frames[-1]


class Sessions:
    """``async with Sessions() as s: pub = s.add(await whip_publish(...))`` closes (DELETE +
    pc.close()) every added publisher/viewer on exit, newest first, whatever happened."""

    def __init__(self) -> None:
        self.items: List[_Session] = []

    def add(self, session):
        self.items.append(session)
        return session

    async def __aenter__(self) -> "Sessions":
        return self

    async def __aexit__(self, *exc) -> None:
        for s in reversed(self.items):
            try:
                await asyncio.wait_for(s.close(), 10)
            except Exception:
                pass


async def wait_until(predicate: Callable[[], bool], timeout: float, what: str = "condition",
                     interval: float = 0.02) -> None:
    """Poll ``predicate`` until true; raise TimeoutError naming ``what`` after ``timeout`` s.

    ``what`` may be a callable returning the message (evaluated at timeout, so it can report the
    latest state)."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if time.monotonic() >= deadline:
            msg = what() if callable(what) else what
            raise TimeoutError(f"timed out after {timeout:.1f}s waiting for {msg}")
        await asyncio.sleep(interval)


async def whip_publish(
    base_url: str,
    stream_id: Optional[str] = "default",
    workflow: Optional[str] = None,
    codec: Optional[str] = "H264",
    video: bool = True,
    audio: bool = True,
    track: Optional[MediaStreamTrack] = None,
    audio_track: Optional[MediaStreamTrack] = None,
    loopback: bool = True,
    path: str = "/whip",
    token: Optional[str] = None,
    params: Optional[Dict[str, str]] = None,
) -> Publisher:
    """Publish over WHIP. Returns a connected-or-connecting :class:`Publisher`.

    ``codec`` forces the video codec through setCodecPreferences ("H264": packetization-mode=1
    only; "VP8"; None: aiortc's default list). ``track``/``audio_track`` default to a
    :class:`PatternTrack` / :class:`ToneTrack`. ``params`` adds query parameters (e.g.
    ``{"record": "1"}``). Raises :class:`HttpError` unless 201.
    """
    pc = make_peer_connection(loopback)
    vtrack = (track or PatternTrack()) if video else None
    atrack = (audio_track or ToneTrack()) if audio else None
    try:
        sdp = await make_offer(pc, "sendonly", vtrack or False, atrack or False, codec, None)
        url = _endpoint(base_url, path,
                        {"streamId": stream_id, "workflow": workflow, **(params or {})})
        resp = await post_sdp(url, sdp, extra_headers=bearer(token))
        if resp.status != 201:
            raise HttpError(resp)
        pub = Publisher(pc, resp, url, vtrack, atrack)
        pub.token = token
    except BaseException:
        await pc.close()
        raise
    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=resp.text, type="answer"))
    except BaseException:
        await pub.close()  # the server made a session: DELETE it
        raise
    return pub


async def whep_subscribe(
    base_url: str,
    stream_id: Optional[str] = "default",
    video: bool = True,
    audio: bool = True,
    codec: Optional[str] = None,
    keep_frames: int = 5,
    on_frame: Optional[Callable] = None,
    on_track: Optional[Callable[[MediaStreamTrack], None]] = None,
    loopback: bool = True,
    path: str = "/whep",
    token: Optional[str] = None,
) -> Viewer:
    """Subscribe over WHEP with recvonly transceivers. Returns a :class:`Viewer` whose background
    tasks consume the incoming frames. ``codec`` restricts the offered video codecs
    (None: aiortc's default VP8+H264 offer). With ``on_track``, the caller consumes the remote
    tracks itself (e.g. a MediaRecorder): ``on_track(track)`` is called for each one, and the
    viewer's own counters stay at zero. Raises :class:`HttpError` unless 201."""
    pc = make_peer_connection(loopback)
    try:
        sdp = await make_offer(pc, "recvonly", video, audio, codec, None)
        url = _endpoint(base_url, path, {"streamId": stream_id})
        resp = await post_sdp(url, sdp, extra_headers=bearer(token))
        if resp.status != 201:
            raise HttpError(resp)
        viewer = Viewer(pc, resp, url, keep_frames=keep_frames, on_frame=on_frame)
        viewer.token = token

        def _on_track(track: MediaStreamTrack) -> None:
            viewer.tracks.append(track)
            if on_track is not None:
                on_track(track)
            else:
                viewer._attach(track)

        pc.on("track", _on_track)
    except BaseException:
        await pc.close()
        raise
    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=resp.text, type="answer"))
    except BaseException:
        await viewer.close()  # the server made a session: DELETE it
        raise
    return viewer
