"""WHEP server-sent events (the WHEP core extensions draft, "Server Sent Events extension").

A WHEP 201 advertises the event stream in a Link header; the player POSTs the event types it
wants and reads the event stream the 201 points to. Events are read line by line off a raw
socket as they arrive, each awaited with a deadline: viewercount as viewers come and go,
inactive when the publisher leaves, active when the next one publishes, and the end of the
response when the viewer's WHEP session is deleted. Then the refusals: 400, 404, 409, 415.
"""

import asyncio
import json
import re
import ssl
import subprocess
import urllib.parse

import pytest

import comfystream_client as cc

REL = "urn:ietf:params:whep:ext:core:server-sent-events"
ALL = ["active", "inactive", "viewercount"]


def events_link(resp: cc.HttpResponse) -> str:
    """The event-stream URL a WHEP 201 advertises; checks the Link's rel and events."""
    for link in resp.header_all("Link"):
        if f'rel="{REL}"' in link:
            m = re.match(r'<([^>]+)>', link)
            assert m, link
            events = re.search(r'events="([^"]*)"', link)
            assert events and events.group(1).split(",") == ALL, link
            return m.group(1)
    raise AssertionError(f"no server-sent-events Link in {resp.headers}")


async def create(server, url: str, body=ALL, content_type="application/json", token=None):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    headers = {"Content-Type": content_type} if content_type else {}
    headers.update(cc.bearer(token))
    return await cc.http_request("POST", server.url + url, data, headers)


class EventReader:
    """A GET on an event stream over a raw socket; events are parsed as their lines arrive."""

    def __init__(self, reader, writer, status, headers):
        self.reader, self.writer = reader, writer
        self.status, self.headers = status, headers
        self.seen = []     # every event, in order
        self.pending = []  # those no wait_for took yet

    @classmethod
    async def open(cls, server, location: str, timeout: float = 10) -> "EventReader":
        parts = urllib.parse.urlsplit(urllib.parse.urljoin(server.url, location))
        tls = ssl.create_default_context(cafile=server.tls_cert) if server.tls_cert else None
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port, ssl=tls)
        writer.write(f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                     f"Accept: text/event-stream\r\n\r\n".encode())
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), timeout)
        status = int(status_line.split()[1])
        headers = {}
        while True:
            line = (await asyncio.wait_for(reader.readline(), timeout)).decode().rstrip("\r\n")
            if not line:
                break
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return cls(reader, writer, status, headers)

    async def next_event(self, timeout: float):
        """The next (type, data) event, comments skipped; None when the response ended."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout  # for the whole event: heartbeats do not extend it
        kind, data = None, None
        while True:
            left = deadline - loop.time()
            if left <= 0:
                raise asyncio.TimeoutError()
            line = await asyncio.wait_for(self.reader.readline(), left)
            if not line:
                return None
            line = line.decode().rstrip("\n")
            if line.startswith(":"):
                continue
            if line == "":
                if kind is not None:
                    event = (kind, json.loads(data))
                    self.seen.append(event)
                    self.pending.append(event)
                    return event
                continue
            field, _, value = line.partition(": ")
            if field == "event":
                kind = value
            elif field == "data":
                assert data is None, f"more than one data line for {kind}"
                data = value

    async def wait_for(self, kind: str, data=None, timeout: float = 20):
        """The first event not waited for yet that is `kind` (with `data`, when given), read
        until it comes; fails at the deadline. Events that came in between stay pending: the
        current state on connect comes in no particular order."""
        def take():
            for i, (k, d) in enumerate(self.pending):
                if k == kind and (data is None or d == data):
                    return self.pending.pop(i)
            return None

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = take()
            if found:
                return found
            left = deadline - loop.time()
            try:
                if left <= 0:
                    raise asyncio.TimeoutError()
                event = await self.next_event(left)
            except asyncio.TimeoutError:
                raise TimeoutError(f"no {kind} {data} within {timeout}s; seen {self.seen}")
            if event is None:
                raise AssertionError(f"stream ended waiting for {kind}; seen {self.seen}")

    async def wait_closed(self, timeout: float = 20):
        """Reads until the server ends the response; the events on the way are kept."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while await self.next_event(max(0.01, deadline - loop.time())) is not None:
                pass
        except asyncio.TimeoutError:
            raise TimeoutError(f"the response did not end within {timeout}s; seen {self.seen}")

    def close(self):
        self.writer.close()


@pytest.mark.timeout_s(120)
async def test_events_follow_viewers_and_publishers_and_end_with_the_session(server):
    async with cc.Sessions() as s:
        pub = s.add(await cc.whip_publish(server.url, "ev"))
        await pub.wait_connected()
        viewer = s.add(await cc.whep_subscribe(server.url, "ev"))
        sse_url = events_link(viewer.response)
        assert sse_url == f"/whep/{viewer.id}/sse"

        created = await create(server, sse_url)
        assert created.status == 201, created
        location = created.header("Location")
        assert re.fullmatch(rf"/whep/{viewer.id}/sse/[0-9a-f]{{32}}", location), location
        events = await EventReader.open(server, location)
        try:
            assert events.status == 200
            assert events.headers["content-type"] == "text/event-stream"
            assert events.headers["cache-control"] == "no-cache"
            # The current state first: output flowing, one viewer.
            await events.wait_for("active", {})
            await events.wait_for("viewercount", {"viewercount": 1})
            assert ("inactive", {}) not in events.seen

            second = s.add(await cc.whep_subscribe(server.url, "ev"))
            await events.wait_for("viewercount", {"viewercount": 2})
            await second.close()
            await events.wait_for("viewercount", {"viewercount": 1})

            await pub.close()
            assert pub.delete_response.status == 200
            await events.wait_for("inactive", {})

            pub2 = s.add(await cc.whip_publish(server.url, "ev"))
            await pub2.wait_connected()
            await events.wait_for("active", {})

            # The draft: the event streams of a WHEP resource end with it.
            await viewer.close()
            assert viewer.delete_response.status == 200
            await events.wait_closed()
        finally:
            events.close()
        gone = await cc.http_request("GET", server.url + location)
        assert gone.status == 404, gone
        again = await create(server, sse_url)
        assert again.status == 404, again


@pytest.mark.timeout_s(90)
async def test_only_the_types_asked_for_arrive_and_delete_ends_the_stream(server):
    async with cc.Sessions() as s:
        pub = s.add(await cc.whip_publish(server.url, "only"))
        await pub.wait_connected()
        viewer = s.add(await cc.whep_subscribe(server.url, "only"))
        sse_url = events_link(viewer.response)
        created = await create(server, sse_url, ["viewercount"])
        assert created.status == 201, created
        location = created.header("Location")
        events = await EventReader.open(server, location)
        try:
            await events.wait_for("viewercount", {"viewercount": 1})
            second = s.add(await cc.whep_subscribe(server.url, "only"))
            await events.wait_for("viewercount", {"viewercount": 2})
            assert all(kind == "viewercount" for kind, _ in events.seen), events.seen

            deleted = await cc.http_request("DELETE", server.url + location)
            assert deleted.status == 200, deleted
            await events.wait_closed()
        finally:
            events.close()
        assert (await cc.http_request("GET", server.url + location)).status == 404
        assert (await cc.http_request("DELETE", server.url + location)).status == 404
        # The WHEP session itself goes on.
        whep = await server.whep_stats()
        assert viewer.public_id in whep and second.public_id in whep, whep


@pytest.mark.timeout_s(90)
async def test_refusals(server):
    async with cc.Sessions() as s:
        unknown = await create(server, "/whep/" + "0" * 32 + "/sse")
        assert unknown.status == 404, unknown

        pub = s.add(await cc.whip_publish(server.url, "refuse"))
        await pub.wait_connected()
        viewer = s.add(await cc.whep_subscribe(server.url, "refuse"))
        sse_url = events_link(viewer.response)

        # The draft: an unsupported or unadvertised type is 400, and nothing is created.
        for body in (["active", "layers"], ["scte35"], {"events": ["active"]}, [1]):
            r = await create(server, sse_url, body)
            assert r.status == 400, (body, r)
            assert r.header("Location") is None
        bad_json = await create(server, sse_url, '["active"')
        assert bad_json.status == 400, bad_json
        wrong_type = await create(server, sse_url, '["active"]', content_type="text/plain")
        assert wrong_type.status == 415, wrong_type
        too_big = await create(server, sse_url, json.dumps(["active"] * 400))
        assert too_big.status == 413, too_big

        # None of those made one: four may still be made (no body asks for every type), then
        # the bound.
        made = []
        for _ in range(4):
            r = await create(server, sse_url, b"", content_type=None)
            assert r.status == 201, r
            made.append(r.header("Location"))
        fifth = await create(server, sse_url)
        assert fifth.status == 409, fifth
        assert (await cc.http_request("DELETE", server.url + made[0])).status == 200
        assert (await create(server, sse_url)).status == 201

        # Another session's id in the path is another resource: 404.
        other = s.add(await cc.whep_subscribe(server.url, "refuse"))
        foreign = made[1].replace(viewer.id, other.id)
        assert (await cc.http_request("GET", server.url + foreign)).status == 404
        assert (await cc.http_request("GET", server.url + sse_url + "/" + "f" * 32)).status == 404


@pytest.fixture
def tls_files(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext",
                    "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    cc.set_tls_ca(str(cert))
    yield cert, key
    cc.set_tls_ca(None)


@pytest.mark.timeout_s(90)
async def test_event_streams_over_https(start_server, tls_files):
    """Over TLS the event stream reads while a read is pending on the same connection."""
    cert, key = tls_files
    server = start_server("--tls-cert", str(cert), "--tls-key", str(key))
    async with cc.Sessions() as s:
        pub = s.add(await cc.whip_publish(server.url, "tls"))
        await pub.wait_connected()
        viewer = s.add(await cc.whep_subscribe(server.url, "tls"))
        created = await create(server, events_link(viewer.response))
        assert created.status == 201, created
        events = await EventReader.open(server, created.header("Location"))
        try:
            assert events.status == 200
            await events.wait_for("active", {})
            await events.wait_for("viewercount", {"viewercount": 1})
            second = s.add(await cc.whep_subscribe(server.url, "tls"))
            await events.wait_for("viewercount", {"viewercount": 2})
            await second.close()
            await events.wait_for("viewercount", {"viewercount": 1})
            await viewer.close()
            await events.wait_closed()
        finally:
            events.close()
