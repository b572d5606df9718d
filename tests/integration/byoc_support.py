"""Shared pieces of the BYOC integration suites (test_byoc_*.py): the orchestrator stand-in
fixture, job helpers, error-shape assertions, stopping a server mid-test."""

from __future__ import annotations

import asyncio
import email.utils
import json
import signal
import subprocess

import pytest

import comfystream_client as cc
from orchestrator_standin import Orchestrator

SECRET = "orch-secret"
ID_RE = r"[0-9a-f]{32}"
NODE = lambda t, **inputs: {"class_type": t, "inputs": inputs}  # noqa: E731
INVERT = {"1": NODE("LoadTensor"), "2": NODE("ImageInvert", image=["1", 0]),
          "3": NODE("SaveTensor", images=["2", 0])}
BROKEN = {"1": NODE("LoadTensor"), "2": NODE("ImageInvert", image=["7", 0]),
          "3": NODE("SaveTensor", images=["2", 0])}
CAPABILITIES = ("comfystream-video", "whip-ingest", "whep-subscribe")
DEFAULT_ICE = [{"urls": ["stun:stun.l.google.com:19302"]}]


@pytest.fixture
def orch():
    o = Orchestrator(SECRET).start()
    yield o
    o.stop()


def worker_args(orch: Orchestrator, tmp_path, *extra) -> tuple:
    """Flags of a worker that registers with the stand-in and keeps its sessions in tmp_path."""
    return ("--orch-url", orch.url, "--orch-secret", SECRET, "--register-interval", "1",
            "--state-dir", str(tmp_path / "state"), *extra)


async def wait_registered(orch: Orchestrator, names=CAPABILITIES, timeout: float = 15) -> None:
    await cc.wait_until(lambda: set(names) <= set(orch.registered()), timeout,
                        lambda: f"registrations of {names} (have {sorted(orch.registered())})")


async def standin_job(orch: Orchestrator, subpath: str, body, **kw):
    """client → stand-in → worker; (status, headers, body bytes)."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, lambda: orch.job(subpath, body, **kw))


async def direct_job(server, capability: str, body, headers=None) -> cc.HttpResponse:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    h = {"Content-Type": "application/json", **(headers or {})}
    return await cc.http_request("POST", f"{server.url}/process/request/{capability}", data, h)


def media_type(resp: cc.HttpResponse) -> str:
    return (resp.header("Content-Type") or "").split(";")[0].strip().lower()


def assert_json_error(resp: cc.HttpResponse, status: int, says: str = "",
                      retry_after: bool = False) -> dict:
    """{"error": "...", "status_code": N} with that HTTP status and application/json."""
    assert resp.status == status, f"expected {status}: {resp!r}"
    assert media_type(resp) == "application/json", (resp.status, resp.headers, resp.text)
    body = resp.json()
    assert body.get("status_code") == status, body
    assert isinstance(body.get("error"), str) and body["error"].strip(), body
    assert says in body["error"], f"{says!r} not in {body['error']!r}"
    if retry_after:
        ra = resp.header("Retry-After")
        assert ra is not None and (ra.strip().isdigit() or email.utils.parsedate(ra)), resp.headers
    return body


def assert_relayed_error(status: int, headers: dict, body: bytes, want: int, says: str = "") -> dict:
    """An error the stand-in relayed as go-livepeer does: same status, text/plain, the worker's
    JSON body plus a newline."""
    assert status == want, (status, body)
    assert headers.get("content-type", "").startswith("text/plain"), headers
    assert body.endswith(b"\n"), body
    j = json.loads(body)
    assert j.get("status_code") == want and isinstance(j.get("error"), str), j
    assert says in j["error"], f"{says!r} not in {j['error']!r}"
    return j


def stop_server(server, hard: bool = False) -> None:
    """Stop a conftest Server in the middle of a test (SIGTERM, or SIGKILL with ``hard``), so the
    fixture's teardown does not take it for a crash."""
    if hard:
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait(10)
    else:
        server.proc.send_signal(signal.SIGTERM)
        try:
            rc = server.proc.wait(15)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait()
            raise AssertionError(f"server ignored SIGTERM:\n{server.log_tail()}")
        assert rc == 0, f"server exited {rc}:\n{server.log_tail()}"
    server._log.close()
    server.proc = None


class PausableTrack(cc.PatternTrack):
    """A test pattern that can stop sending frames while the connection stays up."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.running = asyncio.Event()
        self.running.set()

    async def recv(self):
        await self.running.wait()
        return await super().recv()


def looks_inverted(viewer: cc.Viewer) -> bool:
    if not viewer.last_frames:
        return False
    got = cc.quadrant_colors(viewer.last_frames[-1])
    return cc.colors_match(got, cc.expected_colors(cc.DEFAULT_COLORS, True), tolerance=30)


async def wait_inverted(viewer: cc.Viewer, timeout: float = 20) -> None:
    await cc.wait_until(lambda: looks_inverted(viewer), timeout,
                        lambda: f"inverted frames ({viewer.video_frames} frames so far)")


async def status_of(server, session_id: str) -> cc.HttpResponse:
    return await cc.http_request("GET", f"{server.url}/byoc/session/{session_id}/status")


async def delete_session(server, session_id: str) -> cc.HttpResponse:
    return await cc.http_request("DELETE", f"{server.url}/byoc/session/{session_id}")
