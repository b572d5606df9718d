"""Integration-test fixtures: a real comfystream server driven by real aiortc peers.

Run with Debian's Python (the one with python3-aiortc):

    cd /work/main && COMFYSTREAM_BIN=build/comfystream /usr/bin/python3 -m pytest -q tests/integration

* ``server``: a fresh server on a free port (``--host 127.0.0.1 --media-ip 127.0.0.1
  --log-level debug``), ready once ``GET /health`` answers 200.
* ``start_server(*extra_args)``: the same with extra flags (``--max-streams 1``, ...).
* ``async def`` test functions are run on a fresh event loop with a time limit
  (``@pytest.mark.timeout_s(N)``, default 120 s), so no plugin is needed.
* When a test fails, the tail of each server log it used is attached to the report.

Network hygiene: everything listens on and talks to 127.0.0.1. The aiortc peers gather host
candidates on 127.0.0.1 only and have no ICE servers (comfystream_client.make_peer_connection).
The server only *advertises* ICE servers in Link headers; Twilio variables are removed from its
environment so it never fetches TURN credentials.
"""

import asyncio
import inspect
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

sys.dont_write_bytecode = True  # no __pycache__ for examples/comfystream_client.py in the tree

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES_DIR = REPO_ROOT / "examples"
if str(EXAMPLES_DIR) not in sys.path:
    sys.path.insert(0, str(EXAMPLES_DIR))

import comfystream_client as cc  # noqa: E402

DEFAULT_TIMEOUT_S = 120
STARTUP_DEADLINE_S = 20
BINARY_WAIT_S = 60


def _binary() -> Path:
    b = Path(os.environ.get("COMFYSTREAM_BIN", "build/comfystream"))
    if not b.is_absolute():
        b = REPO_ROOT / b
    return b


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A running comfystream process."""

    def __init__(self, args, log_path: Path):
        self.args = list(args)
        self.log_path = log_path
        self.port = free_port()
        # With --tls-cert the server speaks HTTPS only; trust its (self-signed) certificate.
        self.tls_cert = self.args[self.args.index("--tls-cert") + 1] if "--tls-cert" in self.args \
            else None
        self.url = f"{'https' if self.tls_cert else 'http'}://127.0.0.1:{self.port}"
        self.proc = None

    def start(self) -> "Server":
        binary = _binary()
        cmd = [str(binary), "--host", "127.0.0.1", "--port", str(self.port),
               "--media-ip", "127.0.0.1", "--log-level", "debug",
               # never reach the real Twilio API, even if a developer's shell has credentials
               "--twilio-url", "http://127.0.0.1:9"] + self.args
        env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
        self.cmd = cmd
        self._log = open(self.log_path, "wb")
        # The binary may be in the middle of a rebuild (absent, not yet executable, or "text
        # file busy" while the linker writes it): retry for a while before giving up.
        spawn_deadline = time.monotonic() + BINARY_WAIT_S
        while True:
            try:
                self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT,
                                             env=env, cwd=str(REPO_ROOT))
                break
            except OSError as e:
                if time.monotonic() > spawn_deadline:
                    self._log.close()
                    pytest.fail(f"cannot start the server binary {binary} ({e}); build it "
                                f"(cmake --build build) or set COMFYSTREAM_BIN")
                time.sleep(0.5)
        deadline = time.monotonic() + STARTUP_DEADLINE_S
        last_err = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"server exited with {self.proc.returncode} during start-up: "
                            f"{' '.join(cmd)}\n--- server log ---\n{self.log_tail()}")
            try:
                ctx = ssl.create_default_context(cafile=self.tls_cert) if self.tls_cert else None
                with urllib.request.urlopen(self.url + "/health", timeout=2, context=ctx) as r:
                    if r.status == 200:
                        return self
            except OSError as e:  # connection refused while it starts
                last_err = e
            time.sleep(0.05)
        self.stop()
        pytest.fail(f"server not healthy within {STARTUP_DEADLINE_S}s ({last_err}): "
                    f"{' '.join(cmd)}\n--- server log ---\n{self.log_tail()}")

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self.killed_after_sigterm = True
        self._drain()
        self._log.close()

    def _drain(self) -> None:
        """Subclasses that relay the server's output finish writing it to the log here."""

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 80) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    # ---- process resources (Linux /proc) ----
    def fd_count(self) -> int:
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def thread_count(self) -> int:
        return len(os.listdir(f"/proc/{self.proc.pid}/task"))

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # ---- HTTP shortcuts ----
    async def get_json(self, path: str):
        return await cc.get_json(self.url, path)

    async def whip_stats(self) -> dict:
        return await self.get_json("/whip-stats")

    async def whep_stats(self) -> dict:
        return await self.get_json("/whep-stats")


@pytest.fixture
def start_server(request, tmp_path):
    """Factory: ``start_server("--max-streams", "1")`` -> a started :class:`Server`."""
    servers = []
    request.node._cs_servers = servers

    def _start(*extra_args) -> Server:
        s = Server(extra_args, tmp_path / f"server{len(servers)}.log")
        servers.append(s)
        return s.start()

    yield _start
    problems = []
    for s in servers:
        was_alive = s.alive()
        s.stop()
        if not was_alive and s.proc is not None:
            problems.append(f"server {s.url} had already exited ({s.proc.returncode}) "
                            f"before teardown:\n{s.log_tail()}")
        elif getattr(s, "killed_after_sigterm", False):
            problems.append(f"server {s.url} ignored SIGTERM for 15 s and was killed:\n"
                            f"{s.log_tail()}")
    if problems:
        pytest.fail("\n\n".join(problems))


@pytest.fixture
def server(start_server) -> Server:
    return start_server()


# ---- async test functions without a plugin -----------------------------------------------------

@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    marker = pyfuncitem.get_closest_marker("timeout_s")
    timeout = marker.args[0] if marker else DEFAULT_TIMEOUT_S
    kwargs = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}

    loop = asyncio.new_event_loop()
    try:
        try:
            loop.run_until_complete(asyncio.wait_for(pyfuncitem.obj(**kwargs), timeout))
        except asyncio.TimeoutError:
            pytest.fail(f"test did not finish within {timeout}s")
    finally:
        # Like asyncio.run, but bounded: a stuck aiortc task must not hang the whole run.
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for t in pending:
            t.cancel()
        if pending:
            loop.run_until_complete(asyncio.wait(pending, timeout=5))
        loop.run_until_complete(asyncio.wait_for(loop.shutdown_default_executor(), 20))
        loop.close()
    return True


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for i, s in enumerate(getattr(item, "_cs_servers", [])):
            rep.sections.append((f"server {i} log tail ({s.log_path})", s.log_tail(60)))


async def stable_counts(server, settle_s: float = 1.0, timeout: float = 20.0):
    """(fds, threads) once they have not changed for ``settle_s`` (teardown of a session is
    asynchronous on the server: its GStreamer threads exit after the DELETE answer)."""
    state = {"last": None, "since": time.monotonic()}

    def settled():
        now = (server.fd_count(), server.thread_count())
        if now != state["last"]:
            state["last"], state["since"] = now, time.monotonic()
        return time.monotonic() - state["since"] >= settle_s

    await cc.wait_until(settled, timeout, lambda: f"fd/thread counts to settle ({state['last']})",
                        interval=0.1)
    return state["last"]
