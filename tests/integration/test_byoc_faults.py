"""The BYOC session store under faults, through the real server over HTTP: a deletion the store
could not persist answers 5xx and the session is still there after a restart; a restart on a
"full disk" still answers every stored session; a comfystream-video job nobody publishes to
frees its capacity after --session-connect-timeout. The server must survive all of it (no
SIGBUS, no SIGXFSZ).

The fault is a file size limit (RLIMIT_FSIZE at 1 byte) put on the server process, at run time
with prlimit(2) or from its start: every write past the first byte of a regular file then fails
with EFBIG, where a full or read-only disk fails SQLite's writes. Unlike chmod (ignored by root),
chattr +i, a read-only bind mount or a tiny tmpfs (all need capabilities a plain container lacks)
it works as root and unprivileged alike. The limit binds regular files only, so the server's log
goes through a pipe here (PipedServer) and is copied to the usual log file by the test.
"""

import asyncio
import os
import resource
import signal
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

import comfystream_client as cc
from byoc_support import (INVERT, assert_json_error, delete_session, direct_job,  # noqa: F401
                          status_of, stop_server)
from conftest import STARTUP_DEADLINE_S, Server, _binary

FSIZE = resource.RLIMIT_FSIZE


class PipedServer(Server):
    """conftest's Server, its output through a pipe (a file size limit on the server then binds
    only the store's files), optionally started with no file allowed to grow."""

    def __init__(self, args, log_path: Path, full_disk: bool = False):
        super().__init__(args, log_path)
        self.full_disk = full_disk

    def start(self) -> "PipedServer":
        cmd = [str(_binary()), "--host", "127.0.0.1", "--port", str(self.port),
               "--media-ip", "127.0.0.1", "--log-level", "debug",
               "--twilio-url", "http://127.0.0.1:9"] + self.args
        env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
        full = self.full_disk

        def limit():  # in the child, before exec
            if full:
                # A real full disk gives ENOSPC, not SIGXFSZ; the server ignores SIGXFSZ once its
                # store opens, this covers what runs before (GStreamer's registry cache).
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
                resource.setrlimit(FSIZE, (1, resource.getrlimit(FSIZE)[1]))

        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     env=env, cwd=str(Path(__file__).resolve().parents[2]),
                                     preexec_fn=limit)
        log = self._log

        def pump(out=self.proc.stdout):
            try:
                for line in iter(out.readline, b""):
                    log.write(line)
                    log.flush()
            except (ValueError, OSError):  # the log was closed (stop_server): the rest is lost
                pass
        self._pump = threading.Thread(target=pump, daemon=True)
        self._pump.start()
        deadline = time.monotonic() + STARTUP_DEADLINE_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"server exited with {self.proc.returncode} during start-up\n"
                            f"{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        pytest.fail(f"server not healthy within {STARTUP_DEADLINE_S}s\n{self.log_tail()}")

    def _drain(self) -> None:
        self._pump.join(5)

    def fill_disk(self) -> None:
        """From now on no file of the server may grow past 1 byte."""
        self._saved = resource.prlimit(self.proc.pid, FSIZE)
        resource.prlimit(self.proc.pid, FSIZE, (1, self._saved[1]))

    def free_disk(self) -> None:
        hard = resource.prlimit(self.proc.pid, FSIZE)[1]
        resource.prlimit(self.proc.pid, FSIZE, (hard, hard))

    def assert_alive(self) -> None:
        rc = self.proc.poll()
        assert rc is None, (f"server died ({'signal ' + signal.Signals(-rc).name if rc < 0 else rc})"
                            f"\n{self.log_tail()}")


@pytest.fixture
def piped(request, tmp_path):
    servers = []
    request.node._cs_servers = servers

    def _start(*args, full_disk=False) -> PipedServer:
        s = PipedServer(args, tmp_path / f"server{len(servers)}.log", full_disk)
        servers.append(s)
        return s.start()

    yield _start
    for s in servers:
        s.stop()


def store_bytes(state: Path) -> int:
    return sum(p.stat().st_size for p in state.glob("sessions.db*"))


async def new_video_session(server) -> str:
    r = await direct_job(server, "comfystream-video", {"input": {"prompts": [INVERT]}})
    assert r.status == 200, r
    return r.json()["session_id"]


@pytest.mark.timeout_s(120)
async def test_a_delete_the_store_cannot_persist_fails_and_the_session_survives(piped, tmp_path):
    state = tmp_path / "state"
    args = ("--state-dir", str(state), "--capacity", "4")
    server = piped(*args)
    kept, other = await new_video_session(server), await new_video_session(server)
    assert not (state / "sessions.db-shm").exists()  # nothing mapped, nothing to SIGBUS on

    server.fill_disk()
    r = await delete_session(server, kept)
    assert 500 <= r.status < 600, r
    assert_json_error(r, r.status, "could not be stored")
    st = (await status_of(server, kept)).json()  # still known: ended, its media freed
    assert st["status"] == "completed" and "could not be stored" in st["ended_reason"], st
    # Nothing else the store cannot persist is answered as done either.
    r = await direct_job(server, "comfystream-video", {"input": {}})
    assert 500 <= r.status < 600 and "cannot store" in r.json()["error"], r
    assert (await status_of(server, other)).json()["status"] == "ready"
    server.assert_alive()

    # Restart (the disk still full until the stop: the clean shutdown cannot write either).
    stop_server(server)
    server = piped(*args)
    st = await status_of(server, kept)
    assert st.status == 200, f"the session whose deletion failed is gone: {st!r}"
    # With a working disk the DELETE is retried, succeeds, and holds over a restart.
    assert (await delete_session(server, kept)).status == 200
    stop_server(server)
    server = piped(*args)
    assert (await status_of(server, kept)).status == 404
    assert (await status_of(server, other)).status == 200
    server.assert_alive()


@pytest.mark.timeout_s(120)
async def test_a_restart_on_a_full_disk_still_answers_the_stored_sessions(piped, tmp_path):
    state = tmp_path / "state"
    args = ("--state-dir", str(state), "--capacity", "20")
    first = piped(*args)
    sids = [await new_video_session(first) for _ in range(12)]
    stop_server(first, hard=True)  # live in the store: the restart must write them down as failed

    server = piped(*args, full_disk=True)
    for sid in sids:
        r = await status_of(server, sid)
        assert r.status == 200, f"stored session {sid} lost on a full disk: {r!r}"
        assert r.json()["status"] == "failed", r.json()
    stats = await server.get_json("/byoc-stats")
    assert set(stats) == set(sids)
    # What needs a write answers 5xx, never a success.
    r = await direct_job(server, "comfystream-video", {"input": {}})
    assert 500 <= r.status < 600, r
    r = await delete_session(server, sids[0])
    assert 500 <= r.status < 600, r
    assert (await status_of(server, sids[0])).status == 200
    server.assert_alive()

    # Space comes back: the disk frees up, the sessions are deleted, the store shrinks.
    server.free_disk()
    before = store_bytes(state)
    for sid in sids:
        r = await delete_session(server, sid)
        assert r.status == 200, r
    after = store_bytes(state)
    print(f"[store] {len(sids)} sessions: {before} bytes; after deleting them: {after} bytes")
    assert after < before, (before, after)
    stop_server(server)
    server = piped(*args)
    assert await server.get_json("/byoc-stats") == {}
    server.assert_alive()


@pytest.mark.timeout_s(120)
async def test_connect_timeout_frees_the_capacity_of_a_session_nobody_publishes_to(piped, tmp_path):
    server = piped("--state-dir", str(tmp_path / "state"), "--capacity", "1",
                   "--session-ttl", "60", "--session-connect-timeout", "8")
    idle = await new_video_session(server)
    r = await direct_job(server, "comfystream-video", {"input": {}})
    assert_json_error(r, 503, "at capacity", retry_after=True)

    deadline = time.monotonic() + 14
    while (st := (await status_of(server, idle)).json())["status"] != "failed":
        assert time.monotonic() < deadline, st
        await asyncio.sleep(0.2)
    assert "--session-connect-timeout" in st["ended_reason"], st

    # The capacity is free again; a session whose publisher connects keeps the normal TTL.
    sid = await new_video_session(server)
    created = time.monotonic()
    async with cc.Sessions() as s:
        pub = s.add(await cc.whip_publish(f"{server.url}/byoc/whip/{sid}", None, path=""))
        await pub.wait_connected(15)
        await asyncio.sleep(max(0.0, created + 9.5 - time.monotonic()))  # past the timeout
        assert (await status_of(server, sid)).json()["status"] == "processing"
    server.assert_alive()
