"""Trickle ICE, ICE restart and entity-tags on WHIP/WHEP sessions (RFC 9725 §4.3, WHEP §4.5),
with aiortc peers: what a client sees on PATCH, GET, HEAD and DELETE."""

import re

import pytest
from aiortc import RTCSessionDescription

import comfystream_client as cc

SDPFRAG = "application/trickle-ice-sdpfrag"
ETAG = re.compile(r'^"[0-9a-f]{32}"$')  # strong (quoted), 128 CSPRNG bits


def strip_candidates(sdp: str) -> str:
    """The offer without its candidates: they go by PATCH instead (trickle ICE)."""
    return "".join(line + "\r\n" for line in sdp.splitlines()
                   if line and not line.startswith(("a=candidate:", "a=end-of-candidates")))


def fragment(sdp: str, ufrag=None, pwd=None, candidates=True) -> str:
    """RFC 8840 fragment for the offer's first m-line (the BUNDLE tag): its credentials, its
    mid, its candidates and end-of-candidates."""
    section = sdp.split("\r\nm=")[1]
    lines = section.split("\r\n")
    get = lambda key: next(l.split(":", 1)[1] for l in lines if l.startswith(f"a={key}:"))
    out = [f"a=ice-ufrag:{ufrag or get('ice-ufrag')}", f"a=ice-pwd:{pwd or get('ice-pwd')}",
           "m=" + lines[0], f"a=mid:{get('mid')}"]
    if candidates:
        out += [l for l in lines if l.startswith("a=candidate:")] + ["a=end-of-candidates"]
    return "\r\n".join(out) + "\r\n"


async def patch(location, body, if_match=None, content_type=SDPFRAG, headers=None):
    h = dict(headers or {})
    if content_type:
        h["Content-Type"] = content_type
    if if_match is not None:
        h["If-Match"] = if_match
    return await cc.http_request("PATCH", location, body.encode(), h)


async def publish_trickled(server, stream_id):
    """A WHIP publisher whose offer has no candidates; returns (pc, response, location, sdp)."""
    pc = cc.make_peer_connection()
    sdp = await cc.make_offer(pc, "sendonly", cc.PatternTrack(), cc.ToneTrack(), "H264", None)
    assert "a=candidate:" in sdp
    resp = await cc.post_sdp(f"{server.url}/whip?streamId={stream_id}", strip_candidates(sdp))
    assert resp.status == 201, resp
    return pc, resp, server.url + resp.header("Location"), sdp


@pytest.mark.timeout_s(90)
async def test_candidates_trickled_by_patch_connect_and_frames_flow(server):
    async with cc.Sessions() as s:
        pc, resp, location, sdp = await publish_trickled(server, "trickle")
        try:
            etag = resp.header("ETag")
            assert etag and ETAG.match(etag), f"201 ETag {etag!r}"
            # RFC 9725 §4.3.2: 204, no body, no ETag.
            r = await patch(location, fragment(sdp), if_match=etag)
            assert (r.status, r.body, r.header("ETag")) == (204, b"", None), r
            await pc.setRemoteDescription(RTCSessionDescription(sdp=resp.text, type="answer"))
            await cc.wait_until(lambda: pc.connectionState == "connected", 15,
                                lambda: f"publisher connected ({pc.connectionState})")
            # A trickling viewer too: same path on /whep.
            vpc = cc.make_peer_connection()
            vsdp = await cc.make_offer(vpc, "recvonly", True, True, None, None)
            vresp = await cc.post_sdp(f"{server.url}/whep?streamId=trickle",
                                      strip_candidates(vsdp))
            assert vresp.status == 201, vresp
            vetag = vresp.header("ETag")
            assert vetag and ETAG.match(vetag) and vetag != etag
            viewer = s.add(cc.Viewer(vpc, vresp, f"{server.url}/whep"))
            vpc.on("track", lambda t: (viewer.tracks.append(t), viewer._attach(t)))
            r = await patch(viewer.location, fragment(vsdp), if_match=vetag)
            assert r.status == 204, r
            await vpc.setRemoteDescription(RTCSessionDescription(sdp=vresp.text, type="answer"))
            await viewer.wait_frames(30, timeout=20)
        finally:
            await cc.http_request("DELETE", location)
            await pc.close()


@pytest.mark.timeout_s(90)
async def test_patch_preconditions_and_errors(server):
    async with cc.Sessions() as s:
        pub = s.add(await cc.whip_publish(server.url, "errors"))
        await pub.wait_connected()
        etag = pub.response.header("ETag")
        assert etag and ETAG.match(etag)
        offer = pub.pc.localDescription.sdp
        frag = fragment(offer)
        # RFC 9725 §4.3.1: no If-Match → 428; another ICE session's tag → 412.
        assert (await patch(pub.location, frag)).status == 428
        assert (await patch(pub.location, frag, if_match='"0123"')).status == 412
        assert (await patch(pub.location, frag, if_match=f"W/{etag}")).status == 412
        # Wrong media type → 415; malformed fragment → 400; an unknown mid → 400.
        assert (await patch(pub.location, frag, etag, content_type="application/sdp")).status == 415
        assert (await patch(pub.location, "hello", etag)).status == 400
        assert (await patch(pub.location, frag.replace("a=mid:0", "a=mid:zz"), etag)).status == 400
        # Both wildcards match (checklist row 31); the same candidates again are harmless.
        for wildcard in ("*", '"*"'):
            r = await patch(pub.location, frag, wildcard)
            assert (r.status, r.header("ETag")) == (204, None), r
        # The /live prefix answers like the plain route.
        r = await patch(pub.location.replace("/whip/", "/live/whip/"), frag, etag)
        assert r.status == 204, r
        # New credentials without a password cannot restart: 400, and the session carries on.
        r = await patch(pub.location, "a=ice-ufrag:brandnew\r\n", etag)
        assert r.status == 400, r
        viewer = s.add(await cc.whep_subscribe(server.url, "errors"))
        await viewer.wait_frames(10, timeout=20)

        # A live session answers GET with 2xx and no content (RFC 9725 §4.1).
        r = await cc.http_request("GET", pub.location)
        assert (r.status, r.body) == (204, b"")
        # DELETE ignores entity-tags (RFC 9725 §4.3.1).
        r = await cc.http_request("DELETE", pub.location, headers={"If-Match": '"nope"'})
        assert r.status == 200, r
        # Ended: 404 to every method; so is an id that never existed.
        for location in (pub.location, f"{server.url}/whip/0123456789abcdef",
                         f"{server.url}/whep/0123456789abcdef"):
            for method in ("GET", "HEAD", "DELETE"):
                r = await cc.http_request(method, location)
                assert r.status == 404, (method, location, r)
            assert (await patch(location, frag, "*")).status == 404


@pytest.mark.timeout_s(60)
async def test_restart_answers_a_fragment_and_a_new_etag(server):
    async with cc.Sessions() as s:
        pub = s.add(await cc.whip_publish(server.url, "restart"))
        await pub.wait_connected()
        etag = pub.response.header("ETag")
        offer = pub.pc.localDescription.sdp
        ufrag, pwd = "rEstArt1", "newpasswordnewpassword1"
        # RFC 9725 §4.3.3: new credentials (If-Match "*"): 200, the server's fragment, a new ETag.
        r = await patch(pub.location, fragment(offer, ufrag, pwd), '"*"')
        assert r.status == 200, r
        assert r.header("Content-Type") == SDPFRAG
        new_etag = r.header("ETag")
        assert new_etag and ETAG.match(new_etag) and new_etag != etag
        body = r.text
        old_ufrag = re.search(r"a=ice-ufrag:(\S+)", pub.answer_sdp).group(1)
        server_ufrag = re.search(r"^a=ice-ufrag:(\S+)\r$", body, re.M).group(1)
        assert server_ufrag != old_ufrag, body
        assert re.search(r"^a=ice-pwd:\S{22,}\r$", body, re.M), body
        assert re.search(r"^a=mid:0\r$", body, re.M), body
        assert re.search(r"^a=candidate:.* 127\.0\.0\.1 \d+ typ host", body, re.M), body
        # The old ICE session's tag no longer matches; the new one does, for trickles with the
        # new credentials.
        assert (await patch(pub.location, fragment(offer, ufrag, pwd), etag)).status == 412
        r = await patch(pub.location, fragment(offer, ufrag, pwd), new_etag)
        assert (r.status, r.header("ETag")) == (204, None), r


@pytest.mark.timeout_s(60)
async def test_lenient_if_match_and_resource_headers(start_server):
    server = start_server("--ice-if-match", "lenient")
    async with cc.Sessions() as s:
        pub = s.add(await cc.whip_publish(server.url, "lenient"))
        await pub.wait_connected()
        offer = pub.pc.localDescription.sdp
        # --ice-if-match lenient: a client that never sends If-Match may trickle...
        assert (await patch(pub.location, fragment(offer))).status == 204
        # ...but a wrong one is still refused.
        assert (await patch(pub.location, fragment(offer), '"0123"')).status == 412
        # A restart without If-Match, then a late trickle for the ICE session it replaced: the
        # late one is dropped (RFC 8840 §4.4), not taken for another restart.
        r = await patch(pub.location, fragment(offer, "rEstArt2", "newpasswordnewpassword2"))
        assert r.status == 200, r
        r = await patch(pub.location, fragment(offer))
        assert (r.status, r.header("ETag")) == (204, None), r
        # RFC 9725 §4.4.1: a=rtcp-mux-only in every bundled m-section of the answer.
        sections = pub.answer_sdp.split("\r\nm=")[1:]
        assert sections and all("a=rtcp-mux-only" in m for m in sections), pub.answer_sdp
    # WHEP §4.2: HEAD and GET on the endpoint carry the same headers.
    head = await cc.http_request("HEAD", f"{server.url}/whep")
    get = await cc.http_request("GET", f"{server.url}/whep")
    assert head.status == get.status == 200
    assert head.header("Content-Type") == get.header("Content-Type") == "application/sdp"
    assert get.body == b""


@pytest.mark.timeout_s(60)
async def test_patch_needs_the_stream_token(start_server):
    """With tokens on, a session URL alone cannot change its ICE session (as for DELETE)."""
    server = start_server("--auth-token", "pub-secret")
    async with cc.Sessions() as s:
        pub = s.add(await cc.whip_publish(server.url, "tok", token="pub-secret"))
        await pub.wait_connected()
        etag = pub.response.header("ETag")
        frag = fragment(pub.pc.localDescription.sdp)
        assert (await patch(pub.location, frag, etag)).status == 401
        r = await patch(pub.location, frag, etag, headers=cc.bearer("pub-secret"))
        assert r.status == 204, r
