"""Pushes (docs/API.md "Pushes"): server A sends a stream's processed output to server B's WHIP
endpoint as a WHIP client. Real servers (two comfystream processes on 127.0.0.1), a real aiortc
publisher on A and a real aiortc viewer on B."""

import asyncio
import json
import urllib.parse

import pytest

import comfystream_client as cc
from byoc_support import stop_server
from conftest import Server, free_port


def pushes_path(stream_id: str) -> str:
    return f"/streams/{urllib.parse.quote(stream_id, safe='')}/pushes"


async def api(server, method: str, path: str, body=None, token=None,
              content_type="application/json") -> cc.HttpResponse:
    headers = dict(cc.bearer(token))
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers["Content-Type"] = content_type
    return await cc.http_request(method, server.url + path, body=data, headers=headers)


async def wait_push(server, stream_id: str, push_id: str, pred, timeout: float, what: str) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        r = await api(server, "GET", f"{pushes_path(stream_id)}/{push_id}")
        assert r.status == 200, r
        st = r.json()
        if pred(st):
            return st
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"push {push_id}: {what}; last status {st}")
        await asyncio.sleep(0.1)


@pytest.mark.timeout_s(150)
async def test_a_push_carries_the_processed_stream_to_another_server(start_server):
    b = start_server()
    a = start_server("--push-allow", "127.0.0.1")
    async with cc.Sessions() as s:
        pub = s.add(await cc.whip_publish(a.url, "src", workflow="invert", codec="H264",
                                          audio=True))
        await pub.wait_connected()
        target = f"{b.url}/whip?streamId=dst"
        r = await api(a, "POST", pushes_path("src"), {"url": target, "token": "sekrit-Token"})
        assert r.status == 201, r
        push = r.json()
        assert r.header("Location") == f"/streams/src/pushes/{push['id']}", r
        assert push["url"] == target and "sekrit" not in r.text, push
        assert push["state"] in ("connecting", "live") and push["has_audio"] is True, push
        # A viewer of A's stream like any other.
        assert cc.public_id(push["id"]) in await a.whep_stats()

        live = await wait_push(a, "src", push["id"], lambda st: st["state"] == "live", 30,
                               "live")
        assert live["attempts"] == 1 and live["last_error"] is None, live
        # B sees a publisher of "dst": A's push, with H.264 video and the stream's Opus audio.
        pubs = [p for p in (await b.whip_stats()).values() if p["stream_id"] == "dst"]
        assert len(pubs) == 1, pubs
        assert pubs[0]["video_codec"] == "H264" and pubs[0]["has_audio"] is True, pubs[0]

        viewer = s.add(await cc.whep_subscribe(b.url, "dst", codec="H264"))
        await viewer.wait_frames(30, timeout=30)
        await viewer.wait_audio(10, timeout=30)  # A's publisher's audio, through the push
        # What B's viewer sees is A's output (inverted), not A's input.
        want = cc.expected_colors(cc.DEFAULT_COLORS, inverted=True)
        got = cc.quadrant_colors(viewer.last_rgb())
        assert cc.colors_match(got, want, tolerance=40), (got, want)
        idx = [i for i in (cc.decode_barcode(f, inverted=True) for f in viewer.last_frames) if i]
        assert idx, "no inverted barcode in B's frames"

        st = (await api(a, "GET", f"{pushes_path('src')}/{push['id']}")).json()
        assert st["frames_sent"] > 0 and st["bytes_sent"] > 0, st
        listing = (await api(a, "GET", pushes_path("src"))).json()["pushes"]
        assert [p["id"] for p in listing] == [push["id"]], listing

        # DELETE: 200 with the final status, and B's publisher session is gone.
        r = await api(a, "DELETE", f"{pushes_path('src')}/{push['id']}")
        assert r.status == 200, r
        final = r.json()
        assert final["state"] == "stopped", final
        assert await b.whip_stats() == {}, "B still has the pushed publisher"
        assert cc.public_id(push["id"]) not in await a.whep_stats()
        # Still listed after it ended; its stream goes on.
        r = await api(a, "GET", f"{pushes_path('src')}/{push['id']}")
        assert r.status == 200 and r.json()["state"] == "stopped", r


@pytest.mark.timeout_s(90)
async def test_a_push_to_nothing_retries_with_growing_attempts(start_server):
    a = start_server("--push-allow", "127.0.0.1")
    dead = f"http://127.0.0.1:{free_port()}/whip"  # nothing listens: connection refused
    async with cc.Sessions() as s:
        pub = s.add(await cc.whip_publish(a.url, "src", codec="H264", audio=False))
        await pub.wait_connected()
        r = await api(a, "POST", pushes_path("src"), {"url": dead})
        assert r.status == 201, r
        pid = r.json()["id"]
        st = await wait_push(a, "src", pid, lambda st: st["attempts"] >= 3, 30, "3 attempts")
        assert st["state"] in ("retrying", "connecting"), st
        assert st["last_error"], st
        # The stream is not stalled by it: A's own viewers still get frames.
        viewer = s.add(await cc.whep_subscribe(a.url, "src", codec="H264"))
        await viewer.wait_frames(10, timeout=20)
        r = await api(a, "DELETE", f"{pushes_path('src')}/{pid}")
        assert r.status == 200 and r.json()["state"] == "stopped", r


@pytest.mark.timeout_s(90)
async def test_a_push_refused_by_the_remote_fails_without_retrying(start_server):
    b = start_server("--auth-token", "b-secret")
    a = start_server("--push-allow", "127.0.0.1")
    async with cc.Sessions() as s:
        pub = s.add(await cc.whip_publish(a.url, "src", codec="H264", audio=False))
        await pub.wait_connected()
        r = await api(a, "POST", pushes_path("src"),
                      {"url": f"{b.url}/whip?streamId=dst", "token": "wrong"})
        assert r.status == 201, r
        pid = r.json()["id"]
        st = await wait_push(a, "src", pid, lambda st: st["state"] == "failed", 20, "failed")
        assert "401" in st["last_error"] and st["attempts"] == 1, st
        assert cc.public_id(pid) not in await a.whep_stats()


@pytest.mark.timeout_s(60)
async def test_push_requests_are_checked_before_anything_is_done(start_server):
    off = start_server()
    a = start_server("--push-allow", "127.0.0.1:9", "--admin-token", "adm")
    async with cc.Sessions() as s:
        # Pushes off without --push-allow: 403, whatever the request.
        r = await api(off, "POST", pushes_path("x"), {"url": "http://127.0.0.1:9/whip"})
        assert r.status == 403 and "--push-allow" in r.json()["error"], r

        pub = s.add(await cc.whip_publish(a.url, "src", codec="H264", audio=False))
        await pub.wait_connected()
        ok = {"url": "http://127.0.0.1:9/whip"}
        # The recordings' auth rule: without stream tokens, the admin token.
        r = await api(a, "POST", pushes_path("src"), ok)
        assert r.status == 401, r
        r = await api(a, "GET", pushes_path("src"))
        assert r.status == 401, r
        for body, status in [
            (b"not json", 400),
            ({}, 400),
            ({"url": 5}, 400),
            ({"url": "ftp://127.0.0.1:9/whip"}, 400),
            ({"url": "http://user:pw@127.0.0.1:9/whip"}, 400),
            ({"url": "http://127.0.0.1:9/" + "a" * 2100}, 400),
            ({"url": "http://127.0.0.1:9/whip", "token": "a\r\nX-Injected: 1"}, 400),
            ({"url": "http://127.0.0.1:8080/whip"}, 403),   # port not allowed
            ({"url": "http://169.254.169.254/latest"}, 403),  # host not allowed
        ]:
            r = await api(a, "POST", pushes_path("src"), body, token="adm")
            assert r.status == status, (body, r)
            assert r.json()["status_code"] == status, r
        r = await api(a, "POST", pushes_path("src"), b"{}", token="adm", content_type="text/plain")
        assert r.status == 415, r
        r = await api(a, "POST", pushes_path("nope"), ok, token="adm")
        assert r.status == 404, r
        r = await api(a, "GET", pushes_path("nope"), token="adm")
        assert r.status == 404, r
        r = await api(a, "GET", pushes_path("src") + "/" + "0" * 32, token="adm")
        assert r.status == 404, r
        r = await api(a, "DELETE", pushes_path("src") + "/" + "0" * 32, token="adm")
        assert r.status == 404, r
        r = await api(a, "GET", pushes_path("src"), token="adm")
        assert r.status == 200 and r.json() == {"pushes": []}, r
        # Nothing was started by any of the refusals.
        r = await api(a, "GET", "/whep-stats", token="adm")
        assert r.status == 200 and r.json() == {}, r


@pytest.mark.timeout_s(120)
async def test_a_push_survives_a_change_of_publisher(start_server):
    b = start_server()
    a = start_server("--push-allow", "127.0.0.1")
    async with cc.Sessions() as s:
        pub = await cc.whip_publish(a.url, "src", workflow="invert", codec="H264", audio=False)
        await pub.wait_connected()
        r = await api(a, "POST", pushes_path("src"), {"url": f"{b.url}/whip?streamId=dst"})
        assert r.status == 201, r
        pid = r.json()["id"]
        await wait_push(a, "src", pid, lambda st: st["state"] == "live", 30, "live")
        viewer = s.add(await cc.whep_subscribe(b.url, "dst", codec="H264"))
        await viewer.wait_frames(10, timeout=30)
        # The publisher leaves and another one takes the stream: the push (a viewer) stays.
        await pub.close()
        pub2 = s.add(await cc.whip_publish(a.url, "src", workflow="invert", codec="H264",
                                           audio=False))
        await pub2.wait_connected()
        seen = viewer.video_frames
        await viewer.wait_frames(seen + 30, timeout=30)
        st = (await api(a, "GET", f"{pushes_path('src')}/{pid}")).json()
        assert st["state"] == "live", st
        want = cc.expected_colors(cc.DEFAULT_COLORS, inverted=True)
        assert cc.colors_match(cc.quadrant_colors(viewer.last_rgb()), want, tolerance=40)


@pytest.mark.timeout_s(120)
async def test_a_push_reconnects_when_the_remote_server_comes_back(start_server, tmp_path):
    a = start_server("--push-allow", "127.0.0.1")
    b = start_server()
    b2 = None
    async with cc.Sessions() as s:
        try:
            pub = s.add(await cc.whip_publish(a.url, "src", workflow="invert", codec="H264",
                                              audio=False))
            await pub.wait_connected()
            r = await api(a, "POST", pushes_path("src"), {"url": f"{b.url}/whip?streamId=dst"})
            assert r.status == 201, r
            pid = r.json()["id"]
            await wait_push(a, "src", pid, lambda st: st["state"] == "live", 30, "live")
            # B goes away: the push notices (ICE/DTLS closed, or 10 s of silence) and retries.
            stop_server(b)
            st = await wait_push(a, "src", pid, lambda st: st["state"] != "live", 30, "not live")
            assert st["state"] in ("retrying", "connecting"), st
            # B comes back on the same address: the push is live again, by itself.
            b2 = Server([], tmp_path / "server-b2.log")
            b2.port, b2.url = b.port, b.url
            b2.start()
            st = await wait_push(a, "src", pid, lambda st: st["state"] == "live", 60, "live again")
            assert st["attempts"] >= 2 and st["last_error"], st
            viewer = s.add(await cc.whep_subscribe(b2.url, "dst", codec="H264"))
            await viewer.wait_frames(10, timeout=30)
            want = cc.expected_colors(cc.DEFAULT_COLORS, inverted=True)
            assert cc.colors_match(cc.quadrant_colors(viewer.last_rgb()), want, tolerance=40)
        finally:
            if b2 is not None:
                await asyncio.sleep(0)
                b2_alive = b2.alive()
                b2.stop()
                assert b2_alive, b2.log_tail()


@pytest.mark.timeout_s(90)
async def test_pushes_count_as_viewers_and_have_a_cap_per_stream(start_server):
    a = start_server("--push-allow", "127.0.0.1:9", "--max-viewers", "2", "--max-pushes", "1")
    dead = {"url": "http://127.0.0.1:9/whip"}  # the discard port: nothing answers, it retries
    async with cc.Sessions() as s:
        pub = s.add(await cc.whip_publish(a.url, "src", codec="H264", audio=False))
        await pub.wait_connected()
        r = await api(a, "POST", pushes_path("src"), dead)
        assert r.status == 201, r
        first = r.json()["id"]
        r = await api(a, "POST", pushes_path("src"), dead)
        assert r.status == 503 and "pushes" in r.json()["error"], r
        assert r.header("Retry-After"), r
        s.add(await cc.whep_subscribe(a.url, "src", codec="H264"))  # the second viewer
        r = await api(a, "DELETE", f"{pushes_path('src')}/{first}")
        assert r.status == 200, r
        r = await api(a, "POST", pushes_path("src"), dead)
        assert r.status == 201, r
        # A push holds a viewer slot: --max-viewers 2 is reached by one WHEP viewer and one push.
        with pytest.raises(cc.HttpError) as refused:
            await cc.whep_subscribe(a.url, "src", codec="H264")
        assert refused.value.response.status == 503, refused.value.response


class _DeafProxy:
    """A WHIP endpoint that passes offers on to a real server but rewrites the ports of the
    offer's and the answer's candidates to the discard port: the POST succeeds, ICE never
    connects."""

    def __init__(self, upstream: str):
        import http.server
        import re
        import threading
        import urllib.request

        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                # Both sides' candidates, or the controlled side's checks would still find the
                # other (peer-reflexive candidates).
                body = re.sub(r"(a=candidate:\S+ \d+ UDP \d+ \S+) \d+ typ", r"\1 9 typ",
                              body).encode()
                req = urllib.request.Request(upstream + self.path, data=body, method="POST",
                                             headers={"Content-Type": "application/sdp"})
                with urllib.request.urlopen(req, timeout=10) as r:
                    answer = r.read().decode()
                    location = r.headers["Location"]
                proxy.posts += 1
                answer = re.sub(r"(a=candidate:\S+ \d+ UDP \d+ \S+) \d+ typ", r"\1 9 typ", answer)
                self.send_response(201)
                self.send_header("Content-Type", "application/sdp")
                self.send_header("Location", upstream + location)  # absolute: B deletes it
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer.encode())

            def log_message(self, *args):
                pass

        self.posts = 0
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.timeout_s(120)
async def test_a_push_whose_ice_never_connects_retries_and_ends_each_remote_session(start_server):
    b = start_server()
    a = start_server("--push-allow", "127.0.0.1")
    proxy = _DeafProxy(b.url)
    try:
        async with cc.Sessions() as s:
            pub = s.add(await cc.whip_publish(a.url, "src", codec="H264", audio=False))
            await pub.wait_connected()
            r = await api(a, "POST", pushes_path("src"),
                          {"url": f"{proxy.url}/whip?streamId=dst"})
            assert r.status == 201, r
            pid = r.json()["id"]
            # Three attempts started: the second one's offer was POSTed and failed too.
            st = await wait_push(a, "src", pid, lambda st: st["attempts"] >= 3, 60,
                                 "a third attempt")
            assert proxy.posts >= 2, proxy.posts
            assert st["state"] != "live" and "ICE" in st["last_error"], st
            # Each new offer first DELETEs the remote session of the one before: B never holds
            # more than the current one (its stream takes one publisher).
            assert len(await b.whip_stats()) <= 1
            r = await api(a, "DELETE", f"{pushes_path('src')}/{pid}")
            assert r.status == 200 and r.json()["state"] == "stopped", r
            assert await b.whip_stats() == {}
    finally:
        proxy.close()
