"""A local stand-in for a go-livepeer orchestrator, as the BYOC worker sees one (test code only).

It implements what ../shared/reference/livepeer-byoc-protocol.md §2, §3.3 and §8.1-8.2 describe:

* ``POST /capability/register``: ``Authorization`` must equal the secret exactly (no "Bearer"),
  else ``400 invalid authorization``; the JSON body is decoded into go-livepeer's
  ``ExternalCapability`` fields with Go's type rules (a wrong type is ``400 Error registering
  capability: ...``); an unsupported currency makes the real one panic, so the connection is
  dropped without a status line; ``price_scaling`` 0 becomes 1; the registration is an upsert with
  the load reset to 0; the answer is ``200``, ``Content-Type: application/json``, body ``ok``.
  Anything but POST is ``405``.
* ``POST /capability/unregister``: the same secret rule; the body is the plain-text name; ``200 ok``
  even for an unknown name.
* ``POST /process/request/{subpath}``: the ``Livepeer`` header (base64 JSON with ``request``,
  ``capability``, ``timeout_seconds``) is required; an unregistered capability is ``503 No capacity
  available for capability``. The job goes to ``{registered url}/{subpath}`` (exactly ``url`` when
  the sub-path is empty), always POST, with the original body and only ``Content-Type``,
  ``Content-Length`` and, when the worker registered a token, ``Authorization: Bearer <token>``:
  no ``Livepeer`` header, no query string. The worker has ``timeout_seconds`` to answer. A status
  up to 399 becomes ``200`` with the body, ``Content-Type`` and ``X-Metadata``; a status above 399
  is relayed as Go's ``http.Error`` does (same code, ``text/plain; charset=utf-8``, body plus a
  newline). A transport error or a ``401`` from the worker removes the capability and answers
  ``500``; a timeout answers ``500`` and leaks one unit of load (as the real one does).

Not emulated: Ethereum signatures (``sender``/``sig`` are not checked), payments and balances
(``Livepeer-Balance`` is always 0), SSE relaying, the streaming (trickle) path.
"""

from __future__ import annotations

import base64
import http.client
import json
import socket
import ssl
import subprocess
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, List, Optional, Tuple

PROCESS_PREFIX = "/process/request/"
FIXED_CURRENCIES = ("", "wei", "eth")

# go-livepeer core/external_capabilities.go ExternalCapability: JSON name -> Go kind
FIELDS = {
    "name": str, "description": str, "url": str, "capacity": int,
    "price_per_unit": int, "price_scaling": int, "currency": str, "token": str,
}


def livepeer_header(capability: str, timeout_seconds: int = 30, request: str = "{}",
                    parameters: str = "{}") -> str:
    """The header a client sends to a gateway (unsigned; the gateway adds sender and sig)."""
    job = {"request": request, "parameters": parameters, "capability": capability,
           "timeout_seconds": timeout_seconds}
    return base64.b64encode(json.dumps(job).encode()).decode()


def make_self_signed_cert(directory: Path) -> Tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1 (openssl CLI), as an orchestrator's default TLS."""
    cert, key = directory / "orch.crt", directory / "orch.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


class _GoTypeError(Exception):
    pass


def _decode_capability(body: bytes) -> dict:
    """json.Unmarshal into ExternalCapability: unknown fields ignored, wrong types an error."""
    try:
        raw = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise _GoTypeError(f"invalid character: {e}")
    if not isinstance(raw, dict):
        raise _GoTypeError("json: cannot unmarshal into Go value of type core.ExternalCapability")
    out = {"name": "", "description": "", "url": "", "capacity": 0, "price_per_unit": 0,
           "price_scaling": 0, "currency": "", "token": ""}
    for k, kind in FIELDS.items():
        if k not in raw or raw[k] is None:
            continue
        v = raw[k]
        ok = isinstance(v, str) if kind is str else (isinstance(v, int) and not isinstance(v, bool))
        if not ok:
            raise _GoTypeError(f"json: cannot unmarshal {type(v).__name__} into Go struct field "
                               f"ExternalCapability.{k}")
        out[k] = v
    return out


class Orchestrator:
    """``Orchestrator(secret).start()``; ``.url``; ``.restart()`` forgets every registration."""

    def __init__(self, secret: str = "orch-secret", port: int = 0,
                 tls: Optional[Tuple[Path, Path]] = None):
        self.secret = secret
        self.port = port
        self.tls = tls
        self.lock = threading.Lock()
        self.capabilities: Dict[str, dict] = {}   # name -> registration + "load"
        self.register_log: List[dict] = []        # every accepted registration body
        self.register_headers: List[Dict[str, str]] = []
        self.rejected_registrations = 0
        self.unregister_log: List[str] = []
        self.forwarded: List[dict] = []           # what each job looked like to the worker
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    # ---- lifecycle ----
    def start(self) -> "Orchestrator":
        handler = type("Handler", (_Handler,), {"orch": self})
        server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        server.daemon_threads = True
        if self.tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(str(self.tls[0]), str(self.tls[1]))
            server.socket = ctx.wrap_socket(server.socket, server_side=True)
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="orch-standin",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
            self._thread.join(5)

    def restart(self) -> None:
        """An orchestrator restart: registrations live in memory only and are lost."""
        self.stop()
        with self.lock:
            self.capabilities.clear()
        self.start()

    # ---- views for tests ----
    def registered(self) -> Dict[str, dict]:
        with self.lock:
            return {k: dict(v) for k, v in self.capabilities.items()}

    def job(self, subpath: str, body, capability: Optional[str] = None, timeout_seconds: int = 30,
            headers: Optional[Dict[str, str]] = None, content_type: str = "application/json"):
        """A client's job through this stand-in (the gateway hop is a plain pass-through here).
        Returns (status, headers dict (lower-case names), body bytes)."""
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        h = {"Livepeer": livepeer_header(capability or subpath, timeout_seconds)}
        if content_type:
            h["Content-Type"] = content_type
        h.update(headers or {})
        conn = _connection(self.url, timeout_seconds + 10)
        try:
            conn.request("POST", PROCESS_PREFIX + subpath, body=body, headers=h)
            r = conn.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            conn.close()


def _connection(url: str, timeout: float):
    p = urllib.parse.urlsplit(url)
    if p.scheme == "https":
        return http.client.HTTPSConnection(p.hostname, p.port, timeout=timeout,
                                           context=ssl._create_unverified_context())
    return http.client.HTTPConnection(p.hostname, p.port, timeout=timeout)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    orch: Orchestrator  # set by Orchestrator.start

    def log_message(self, fmt, *args):  # quiet
        pass

    # ---- helpers ----
    def _send(self, status: int, body: bytes, headers: Optional[Dict[str, str]] = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _http_error(self, status: int, message: str) -> None:
        """Go's http.Error: text/plain, nosniff, the message and a newline."""
        self._send(status, (message + "\n").encode(),
                   {"Content-Type": "text/plain; charset=utf-8",
                    "X-Content-Type-Options": "nosniff"})

    def _body(self) -> bytes:
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _authorized(self) -> bool:
        return self.headers.get("Authorization", "") == self.orch.secret

    # ---- routes ----
    def do_POST(self):
        path = urllib.parse.urlsplit(self.path).path
        if path == "/capability/register":
            return self._register()
        if path == "/capability/unregister":
            return self._unregister()
        if path.startswith(PROCESS_PREFIX):
            return self._process(path[len(PROCESS_PREFIX):])
        self._http_error(404, "404 page not found")

    def _not_post(self):
        self._body()
        self._http_error(405, "Method not allowed")

    do_GET = do_PUT = do_DELETE = do_PATCH = _not_post

    def _register(self):
        body = self._body()
        if not self._authorized():
            with self.orch.lock:
                self.orch.rejected_registrations += 1
            return self._http_error(400, "invalid authorization")
        try:
            cap = _decode_capability(body)
        except _GoTypeError as e:
            return self._http_error(400, f"Error registering capability: {e}")
        if cap["currency"].lower() not in FIXED_CURRENCIES:
            # RegisterCapability panics; net/http recovers and drops the connection.
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if cap["price_scaling"] == 0:
            cap["price_scaling"] = 1
        cap["load"] = 0
        with self.orch.lock:
            self.orch.capabilities[cap["name"]] = cap  # upsert, load reset
            self.orch.register_log.append(json.loads(body))
            self.orch.register_headers.append(dict(self.headers.items()))
        self._send(200, b"ok", {"Content-Type": "application/json"})

    def _unregister(self):
        name = self._body().decode("utf-8", "replace")
        if not self._authorized():
            return self._http_error(400, "invalid authorization")
        with self.orch.lock:
            self.orch.capabilities.pop(name, None)
            self.orch.unregister_log.append(name)
        self._send(200, b"ok", {"Content-Type": "application/json"})

    def _process(self, subpath: str):
        body = self._body()
        value = self.headers.get("Livepeer")
        if not value:
            return self._http_error(400, "Could not verify job creds")
        try:
            job = json.loads(base64.b64decode(value, validate=True))
            capability = job["capability"]
            timeout = int(job.get("timeout_seconds") or 0)
            json.loads(job["request"])
        except (ValueError, KeyError, TypeError):
            return self._http_error(400, "Could not verify job creds")
        if timeout <= 0:
            return self._http_error(400, "no timeout_seconds set with request, timeout_seconds "
                                         "is required")
        with self.orch.lock:
            cap = self.orch.capabilities.get(capability)
            if cap is None:
                return self._http_error(503, "No capacity available for capability")
            cap["load"] += 1  # Reserve does not check the limit
            url, token = cap["url"], cap["token"]
        worker_url = url + "/" + subpath if subpath else url
        headers = {}
        if self.headers.get("Content-Type") is not None:
            headers["Content-Type"] = self.headers["Content-Type"]
        headers["Content-Length"] = str(len(body))
        if token:
            headers["Authorization"] = "Bearer " + token
        record = {"capability": capability, "url": worker_url, "headers": dict(headers),
                  "status": None}
        with self.orch.lock:
            self.orch.forwarded.append(record)

        target = urllib.parse.urlsplit(worker_url)
        conn = _connection(worker_url, timeout)
        try:
            try:
                conn.request("POST", target.path or "/", body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
            except socket.timeout:
                record["status"] = "timeout"  # load never freed (§2.3)
                return self._http_error(500, "job timed out")
            except OSError as e:
                record["status"] = "transport error"
                with self.orch.lock:
                    self.orch.capabilities.pop(capability, None)
                return self._http_error(500, f"job not able to be processed, removing capability "
                                             f"err={e}")
        finally:
            conn.close()
        record["status"] = resp.status
        with self.orch.lock:
            if capability in self.orch.capabilities:
                self.orch.capabilities[capability]["load"] -= 1
        if resp.status == 401:
            with self.orch.lock:
                self.orch.capabilities.pop(capability, None)
            return self._http_error(500, "external capability returned unauthorized, removing "
                                         "capability")
        if resp.status > 399:
            return self._http_error(resp.status, data.decode("utf-8", "replace"))
        out = {"Livepeer-Balance": "0"}
        for name in ("Content-Type", "X-Metadata"):
            if resp.getheader(name) is not None:
                out[name] = resp.getheader(name)
        self._send(200, data, out)
