"""The control plane's answers (docs/API.md): success headers, every error case, limits.

The error burst runs while an unrelated publisher -> viewer session is live; that session must
keep receiving frames, and rejected requests must leave no session behind.
"""

import email.utils
import re

import pytest

import comfystream_client as cc

DEFAULT_LINK = '<stun:stun.l.google.com:19302>; rel="ice-server"'
ID_RE = r"[0-9a-f]{32}"


def media_type(resp: cc.HttpResponse) -> str:
    return (resp.header("Content-Type") or "").split(";")[0].strip().lower()


def assert_json_error(resp: cc.HttpResponse, status: int, retry_after: bool = False) -> None:
    assert resp.status == status, f"expected {status}: {resp!r}"
    assert media_type(resp) == "application/json", (resp.status, resp.headers, resp.text)
    body = resp.json()
    assert body.get("status_code") == status, body
    assert isinstance(body.get("error"), str) and body["error"].strip(), body
    assert resp.header("Access-Control-Allow-Origin") == "*", resp.headers
    assert resp.header("Location") is None, resp.headers
    if retry_after:
        ra = resp.header("Retry-After")
        assert ra is not None, f"{status} without Retry-After: {resp.headers}"
        assert ra.strip().isdigit() or email.utils.parsedate(ra), f"bad Retry-After {ra!r}"


def sdp_sections(sdp: str):
    """[session lines, [m-section lines], ...]"""
    sections = [[]]
    for line in sdp.splitlines():
        if line.startswith("m="):
            sections.append([])
        sections[-1].append(line)
    return sections


def direction(section) -> str:
    for line in section:
        if line in ("a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive"):
            return line[2:]
    return "sendrecv"  # RFC 4566 default


def assert_answer_sdp(sdp: str, want_direction: str) -> None:
    cands = [l for l in sdp.splitlines() if l.startswith("a=candidate")]
    assert cands, f"answer without candidates (non-trickle needs them):\n{sdp}"
    for c in cands:
        assert c.split()[4] == "127.0.0.1", f"candidate not on 127.0.0.1: {c}"
    media = sdp_sections(sdp)[1:]
    assert media, sdp
    for m in media:
        if m[0].split()[1] == "0":  # rejected m-line
            continue
        assert direction(m) == want_direction, f"{m[0]}: {direction(m)}, want {want_direction}"


def assert_created(resp: cc.HttpResponse, kind: str, links) -> None:
    assert resp.status == 201, resp
    assert media_type(resp) == "application/sdp", resp.headers
    assert re.fullmatch(f"/{kind}/{ID_RE}", resp.header("Location") or ""), resp.headers
    if kind == "whep":  # WHEP core extensions: server-sent events (test_whep_events.py)
        links = links + [f'<{resp.header("Location")}/sse>; '
                         'rel="urn:ietf:params:whep:ext:core:server-sent-events"; '
                         'events="active,inactive,viewercount"']
    assert resp.header_all("Link") == links, resp.headers
    assert resp.header("Access-Control-Allow-Origin") == "*", resp.headers
    exposed = {h.strip().lower() for h in
               (resp.header("Access-Control-Expose-Headers") or "").split(",")}
    assert {"location", "link", "retry-after"} <= exposed, resp.headers


def pad_sdp(sdp: str, size: int) -> str:
    """A valid offer grown past ``size`` bytes with session-level attributes."""
    lines = sdp.rstrip("\r\n").split("\r\n")
    first_m = next(i for i, l in enumerate(lines) if l.startswith("m="))
    pad, n = [], len(sdp)
    while n <= size:
        pad.append("a=x-padding:" + "x" * 1000)
        n += len(pad[-1]) + 2
    return "\r\n".join(lines[:first_m] + pad + lines[first_m:]) + "\r\n"


def only_vp9(sdp: str) -> str:
    assert "VP8/90000" in sdp
    return sdp.replace("VP8/90000", "VP9/90000")


@pytest.mark.timeout_s(90)
async def test_created_answers_carry_headers_and_loopback_candidates(server):
    async with cc.Sessions() as s:
        pub = s.add(await cc.whip_publish(server.url, "hdr", workflow="invert"))
        assert_created(pub.response, "whip", [DEFAULT_LINK])
        assert_answer_sdp(pub.answer_sdp, "recvonly")
        await pub.wait_connected()

        viewer = s.add(await cc.whep_subscribe(server.url, "hdr"))
        assert_created(viewer.response, "whep", [DEFAULT_LINK])
        assert_answer_sdp(viewer.answer_sdp, "sendonly")
        assert "H264/90000" in viewer.answer_sdp  # offer had VP8 and H264: H264 wins
        await viewer.wait_frames(1, timeout=15)

        # the /live prefix answers like the plain route
        live = s.add(await cc.whep_subscribe(server.url, "hdr", path="/live/whep"))
        assert live.response.status == 201
        await live.wait_frames(1, timeout=15)
        await live.close()
        assert live.delete_response.status == 200, live.delete_response

        ids = {pub.id, viewer.id, live.id}
        assert len(ids) == 3, ids

        # OPTIONS: CORS preflight and Accept-Post on the endpoints
        for path in ("/whip", "/whep"):
            r = await cc.http_request("OPTIONS", server.url + path)
            assert r.status == 204, r
            assert r.header("Accept-Post") == "application/sdp", r.headers
            assert "POST" in (r.header("Access-Control-Allow-Methods") or ""), r.headers
            assert r.header("Access-Control-Allow-Headers"), r.headers
            assert r.header("Access-Control-Allow-Origin") == "*", r.headers


@pytest.mark.timeout_s(60)
async def test_ice_server_flags_become_link_headers(start_server):
    server = start_server("--ice-server", "stun:127.0.0.1:3479",
                          "--ice-server", "turn:USER:PASS@127.0.0.1:3478")
    links = ['<stun:127.0.0.1:3479>; rel="ice-server"',
             '<turn:127.0.0.1:3478>; rel="ice-server"; username="USER"; credential="PASS"; '
             'credential-type="password"']
    async with cc.Sessions() as s:
        pub = s.add(await cc.whip_publish(server.url, "turn"))
        assert_created(pub.response, "whip", links)
        await pub.wait_connected()
        viewer = s.add(await cc.whep_subscribe(server.url, "turn"))
        assert_created(viewer.response, "whep", links)


@pytest.mark.timeout_s(120)
async def test_every_error_answers_json_while_a_session_keeps_playing(start_server):
    # "never": a second publisher is refused (the default takes over; test_takeover.py)
    server = start_server("--publisher-takeover", "never")
    url = server.url
    async with cc.Sessions() as s:
        live_pub = s.add(await cc.whip_publish(url, "live", workflow="invert"))
        await live_pub.wait_connected()
        live_view = s.add(await cc.whep_subscribe(url, "live"))
        await live_view.wait_frames(10, timeout=15)

        pub_offer = await cc.offer_sdp("sendonly")
        view_offer = await cc.offer_sdp("recvonly")
        pcmu_only = await cc.offer_sdp("sendonly", video=False, audio=True, audio_codec="PCMU")
        assert "opus" not in pcmu_only.lower() and "PCMU/8000" in pcmu_only
        vp9_only_pub = only_vp9(await cc.offer_sdp("sendonly", audio=False, video_codec="VP8"))
        vp9_only_view = only_vp9(await cc.offer_sdp("recvonly", audio=False, video_codec="VP8"))
        huge = pad_sdp(pub_offer, 128 * 1024 + 1024)
        assert len(huge.encode()) > 128 * 1024

        async def post(path, body, ctype="application/sdp"):
            return await cc.post_sdp(url + path, body, content_type=ctype)

        errors = []  # (what, response, status, retry_after)

        def expect(what, resp, status, retry_after=False):
            errors.append((what, resp, status, retry_after))

        for ep, offer in (("/whip", pub_offer), ("/whep", view_offer)):
            sid = "?streamId=live" if ep == "/whep" else "?streamId=e415"
            expect(f"{ep} without Content-Type", await post(ep + sid, offer, None), 415)
            expect(f"{ep} text/plain", await post(ep + sid, offer, "text/plain"), 415)
            expect(f"{ep} empty body", await post(ep + sid, ""), 400)
            expect(f"{ep} garbage", await post(ep + sid, "this is not an SDP offer\r\n"), 400)
            expect(f"{ep} > 128 KiB", await post(ep + sid, huge), 413)
            expect(f"DELETE {ep}/<unknown>",
                   await cc.http_request("DELETE", f"{url}{ep}/{'0' * 32}"), 404)
        expect("WHIP PCMU-only audio", await post("/whip?streamId=e422", pcmu_only), 422)
        expect("WHIP VP9-only video", await post("/whip?streamId=e422", vp9_only_pub), 422)
        expect("WHEP VP9-only video", await post("/whep?streamId=live", vp9_only_view), 422)
        expect("second publisher on a live stream", await post("/whip?streamId=live", pub_offer),
               409, True)
        expect("WHEP on a stream without publisher",
               await post("/whep?streamId=nobody", view_offer), 409, True)
        expect("unknown workflow", await post("/whip?streamId=wf&workflow=no-such", pub_offer),
               400)
        # a second copy of an existing publisher's/viewer's DELETE after it is gone: 404 too
        frames_after_burst = live_view.video_frames

        failures = []
        for what, resp, status, retry_after in errors:
            try:
                assert_json_error(resp, status, retry_after)
            except AssertionError as e:
                failures.append(f"{what}: {e}")
        assert not failures, "\n".join(failures)

        # nothing was left behind by the rejected requests ...
        assert set(await server.whip_stats()) == {live_pub.public_id}
        assert set(await server.whep_stats()) == {live_view.public_id}
        # ... and the live session never stopped
        await cc.wait_until(lambda: live_view.video_frames >= frames_after_burst + 30, 10,
                            lambda: f"30 more frames after the burst "
                                    f"({live_view.video_frames - frames_after_burst})")
        assert live_view.connection_state == "connected"

        # streams whose publish was rejected are free: a valid publisher gets 201 there
        for sid in ("e422", "wf", "e415"):
            p = await cc.whip_publish(url, sid, workflow="invert")
            await p.close()
            assert p.delete_response.status == 200
        # and a deleted session is gone for good
        v2 = await cc.whep_subscribe(url, "live")
        await v2.close()
        assert v2.delete_response.status == 200
        again = await cc.http_request("DELETE", v2.location)
        assert_json_error(again, 404)


@pytest.mark.timeout_s(60)
async def test_max_streams_answers_503_with_retry_after(start_server):
    server = start_server("--max-streams", "1")
    async with cc.Sessions() as s:
        first = s.add(await cc.whip_publish(server.url, "one"))
        await first.wait_connected()
        with pytest.raises(cc.HttpError) as e:
            await cc.whip_publish(server.url, "two")
        assert_json_error(e.value.response, 503, retry_after=True)
        # a viewer is not a stream: subscribing to the live one still works
        v = s.add(await cc.whep_subscribe(server.url, "one"))
        await v.wait_frames(1, timeout=15)
        # the limit counts live streams: once "one" is gone, "two" fits
        await first.close()
        second = s.add(await cc.whip_publish(server.url, "two"))
        assert second.response.status == 201


@pytest.mark.timeout_s(60)
async def test_max_viewers_answers_503_with_retry_after(start_server):
    server = start_server("--max-viewers", "1")
    async with cc.Sessions() as s:
        pub = s.add(await cc.whip_publish(server.url, "v"))
        await pub.wait_connected()
        first = s.add(await cc.whep_subscribe(server.url, "v"))
        await first.wait_frames(1, timeout=15)
        with pytest.raises(cc.HttpError) as e:
            await cc.whep_subscribe(server.url, "v")
        assert_json_error(e.value.response, 503, retry_after=True)
        await first.close()
        second = s.add(await cc.whep_subscribe(server.url, "v"))
        await second.wait_frames(1, timeout=15)
