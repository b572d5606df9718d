"""BYOC jobs end to end: client → orchestrator stand-in → worker, for every capability, with real
aiortc peers (../shared/seeds/byoc-implementation.md is the contract)."""

import asyncio
import json
import os
import re
import sys

import pytest

import byoc_test_client as btc
import comfystream_client as cc
from byoc_support import (CAPABILITIES, DEFAULT_ICE, ID_RE, INVERT, SECRET, delete_session,  # noqa: F401
                          orch, standin_job, status_of, wait_inverted, wait_registered,
                          worker_args)
from conftest import EXAMPLES_DIR, _binary


def byoc_stream(session_id: str) -> str:
    """The stream a BYOC session publishes to: named after its public id, never its id."""
    return "byoc-" + cc.public_id(session_id)


@pytest.mark.timeout_s(120)
async def test_video_session_with_its_own_whip_and_whep_endpoints(start_server, orch, tmp_path):
    server = start_server(*worker_args(orch, tmp_path, "--capacity", "2"))
    await wait_registered(orch)

    # What the worker registered (go-livepeer's ExternalCapability), once per capability.
    regs = orch.registered()
    for name in CAPABILITIES:
        r = regs[name]
        assert r["url"] == server.url, r
        assert (r["capacity"], r["price_per_unit"], r["price_scaling"], r["currency"]) == \
            (2, 0, 1, "wei"), r
        assert r["description"] and r["token"] == "", r
    assert all(h.get("Authorization") == SECRET for h in orch.register_headers)
    assert all(h.get("Content-Type") == "application/json" for h in orch.register_headers)

    status, headers, body = await standin_job(
        orch, "comfystream-video", {"input": {"prompts": [INVERT], "width": 320, "height": 240},
                                    "workspace": "/workspace/ComfyUI"})
    assert status == 200, body
    out = json.loads(body)
    assert headers["content-type"] == "application/json"  # copied by the orchestrator
    sid = out["session_id"]
    assert re.fullmatch(ID_RE, sid), out
    assert out == {"session_id": sid, "status": "ready",
                   "result": {"pipeline_ready": True, "session_id": sid,
                              "capabilities": ["video_processing", "image_generation"],
                              "whip_endpoint": f"/byoc/whip/{sid}",
                              "whep_endpoint": f"/byoc/whep/{sid}"}}
    # go-livepeer's path rule and headers: {url}/{sub-path}, only Content-Type/Length.
    fwd = orch.forwarded[-1]
    assert fwd["url"] == f"{server.url}/comfystream-video", fwd
    assert set(fwd["headers"]) == {"Content-Type", "Content-Length"}, fwd

    async with cc.Sessions() as s:
        pub = s.add(await cc.whip_publish(server.url + out["result"]["whip_endpoint"], None,
                                          path=""))
        assert re.fullmatch(f"/byoc/whip/{sid}/{ID_RE}", pub.resource_path), pub.resource_path
        assert pub.response.header_all("Link") == ['<stun:stun.l.google.com:19302>; rel="ice-server"']
        await pub.wait_connected(15)
        assert (await status_of(server, sid)).json()["status"] == "processing"
        viewer = s.add(await cc.whep_subscribe(server.url + out["result"]["whep_endpoint"], None,
                                               path=""))
        assert re.fullmatch(f"/byoc/whep/{sid}/{ID_RE}", viewer.resource_path)
        await wait_inverted(viewer)  # the session's workflow ran on the publisher's frames
        assert viewer.sizes and all(w == 320 and h == 240 for (w, h) in viewer.sizes), viewer.sizes
        stream = (await server.get_json("/streams/stats"))[byoc_stream(sid)]
        assert stream["frames_processed"] > 0 and stream["viewers"] == 1, stream
        assert [p["stream_id"] for p in (await server.whip_stats()).values()] == [byoc_stream(sid)]

        # DELETE on the publisher's Location: the session is ready for another publisher.
        assert (await pub.delete()).status == 200
        assert (await status_of(server, sid)).json()["status"] == "ready"
        await pub.close(delete=False)
        pub2 = s.add(await cc.whip_publish(server.url + f"/byoc/whip/{sid}", None, path=""))
        await pub2.wait_connected(15)
        await viewer.wait_more_frames(20, timeout=15)  # the viewer stayed and gets the new frames

        st = (await status_of(server, sid)).json()
        assert st["status"] == "processing" and st["capability"] == "comfystream-video"
        assert st["result"] == out["result"] and isinstance(st["created_at"], (int, float))
        stats = await server.get_json("/byoc-stats")
        assert stats == {sid: {"created_at": st["created_at"], "capability": "comfystream-video",
                               "status": "processing", "has_result": True, "has_error": False}}

        r = await delete_session(server, sid)
        assert r.status == 200 and r.json() == {"success": True, "message": "Session cleaned up"}
    # Everything the session held is gone.
    assert (await status_of(server, sid)).status == 404
    assert byoc_stream(sid) not in await server.get_json("/streams/stats")
    assert await server.whip_stats() == {} and await server.whep_stats() == {}
    assert await server.get_json("/byoc-stats") == {}


@pytest.mark.timeout_s(120)
async def test_whip_ingest_and_whep_subscribe_through_the_orchestrator(start_server, orch,
                                                                       tmp_path):
    server = start_server(*worker_args(orch, tmp_path, "--capacity", "2"))
    await wait_registered(orch)
    client = btc.ByocClient(orch.url, server.url, livepeer=True)

    async with cc.Sessions() as s:
        pub, ans = await btc.whip_ingest(client, prompts=[INVERT], width=320, height=240)
        s.add(pub)
        sid = ans["session_id"]
        assert re.fullmatch(ID_RE, sid)
        assert set(ans) == {"session_id", "status", "result"} and ans["status"] == "connected"
        assert set(ans["result"]) == {"sdp_answer", "session_id", "ice_servers"}
        assert ans["result"]["session_id"] == sid
        assert ans["result"]["ice_servers"] == DEFAULT_ICE
        assert ans["result"]["sdp_answer"].startswith("v=0")
        assert orch.forwarded[-1]["url"] == f"{server.url}/whip-ingest"
        await pub.wait_connected(15)
        whip = await server.whip_stats()
        assert [(p["stream_id"], p["connection_state"]) for p in whip.values()] == \
            [(byoc_stream(sid), "connected")], whip

        # whep-subscribe by session id, and by stream id (the session's stream is its id)
        v1, a1 = await btc.whep_subscribe(client, session_id=sid)
        s.add(v1)
        v2, a2 = await btc.whep_subscribe(client, stream_id=byoc_stream(sid))
        s.add(v2)
        for a in (a1, a2):
            assert a["status"] == "connected" and a["session_id"] != sid
            assert set(a["result"]) == {"sdp_answer", "session_id", "ice_servers"}
            assert a["result"]["session_id"] == a["session_id"]
            assert a["result"]["ice_servers"] == DEFAULT_ICE
        await wait_inverted(v1)
        await wait_inverted(v2)
        assert {v["stream_id"] for v in (await server.whep_stats()).values()} == {byoc_stream(sid)}

        stats = await server.get_json("/byoc-stats")
        assert {k: (v["capability"], v["status"]) for k, v in stats.items()} == {
            sid: ("whip-ingest", "connected"),
            a1["session_id"]: ("whep-subscribe", "connected"),
            a2["session_id"]: ("whep-subscribe", "connected")}
        st = (await status_of(server, a1["session_id"])).json()
        assert st["capability"] == "whep-subscribe" and st["result"]["session_id"] == a1["session_id"]

        # Capacity 2 per capability: a third subscription is refused and the orchestrator relays
        # the 503 (a gateway then tries another orchestrator).
        status, headers, body = await standin_job(orch, "whep-subscribe",
                                                  {"sdp_offer": await cc.offer_sdp("recvonly"),
                                                   "session_id": sid})
        assert status == 503 and json.loads(body)["status_code"] == 503, body

        # The viewers' sessions end with their DELETE; the stream goes with its last session.
        for v in (v1, v2):
            await v.close()
        assert await server.whep_stats() == {}
        await pub.close()
        assert await server.whip_stats() == {}
        assert byoc_stream(sid) not in await server.get_json("/streams/stats")
        assert await server.get_json("/byoc-stats") == {}


@pytest.mark.timeout_s(90)
async def test_registered_with_the_process_request_prefix(start_server, orch, tmp_path):
    """With url = {worker}/process/request registered (the `register` subcommand here), the
    orchestrator's {url}/{sub-path} is the worker's /process/request/{capability}."""
    server = start_server("--state-dir", str(tmp_path / "state"))
    proc = await asyncio.create_subprocess_exec(
        str(_binary()), "register", "--orch-url", orch.url, "--orch-secret", SECRET,
        "--capability-url", server.url + "/process/request/",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out = (await proc.communicate())[0].decode()
    assert proc.returncode == 0, out
    assert orch.registered()["whip-ingest"]["url"] == server.url + "/process/request"

    client = btc.ByocClient(orch.url, server.url, livepeer=True)
    async with cc.Sessions() as s:
        pub, ans = await btc.whip_ingest(client)
        s.add(pub)
        assert orch.forwarded[-1]["url"] == f"{server.url}/process/request/whip-ingest"
        await pub.wait_connected(15)


@pytest.mark.timeout_s(150)
async def test_the_example_test_client(start_server, orch, tmp_path):
    """examples/byoc_test_client.py drives all three capabilities through the stand-in."""
    server = start_server(*worker_args(orch, tmp_path))
    await wait_registered(orch)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-u", str(EXAMPLES_DIR / "byoc_test_client.py"), "--url", orch.url,
        "--livepeer", "--worker-url", server.url,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    out = (await asyncio.wait_for(proc.communicate(), 130))[0].decode()
    assert proc.returncode == 0, out
    assert "comfystream-video:" in out and "inverted by the workflow" in out, out
    assert "whep-subscribe: session" in out and "sessions cleaned up" in out, out
    assert {f["capability"] for f in orch.forwarded} == set(CAPABILITIES)
    assert await server.get_json("/byoc-stats") == {}
    assert await server.whip_stats() == {} and await server.whep_stats() == {}


@pytest.mark.timeout_s(60)
async def test_public_url_makes_the_endpoints_absolute(start_server, tmp_path):
    server = start_server("--state-dir", str(tmp_path / "state"), "--byoc-public-url",
                          "https://worker.example.com:8443/")
    r = await cc.http_request("POST", f"{server.url}/comfystream-video", b'{"input": {}}',
                              {"Content-Type": "application/json"})
    assert r.status == 200, r
    out = r.json()
    sid = out["session_id"]
    assert out["result"]["whip_endpoint"] == f"https://worker.example.com:8443/byoc/whip/{sid}"
    assert out["result"]["whep_endpoint"] == f"https://worker.example.com:8443/byoc/whep/{sid}"
