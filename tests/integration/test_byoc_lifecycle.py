"""BYOC session lifecycle: idle sessions expire and free every pipeline and peer, sessions whose
media ended say so, and sessions survive a restart of the server (SQLite state directory)."""

import asyncio
import json
import time

import pytest

import byoc_test_client as btc
import comfystream_client as cc
from byoc_support import (INVERT, PausableTrack, delete_session, direct_job, orch,  # noqa: F401
                          standin_job, status_of, stop_server, wait_inverted, wait_registered,
                          worker_args)


async def wait_status(server, sid: str, want: str, timeout: float = 15) -> dict:
    latest = {}

    async def poll():
        latest["s"] = (await status_of(server, sid)).json()
        return latest["s"]["status"] == want

    deadline = time.monotonic() + timeout
    while not await poll():
        assert time.monotonic() < deadline, f"session {sid} not {want}: {latest['s']}"
        await asyncio.sleep(0.1)
    return latest["s"]


async def wait_freed(server, stream_id: str, timeout: float = 5) -> None:
    """The stream, its publisher and its viewers are gone from every stats endpoint."""
    latest = {}

    async def freed():
        latest["streams"] = await server.get_json("/streams/stats")
        latest["whip"] = await server.whip_stats()
        latest["whep"] = await server.whep_stats()
        return stream_id not in latest["streams"] and not latest["whip"] and not latest["whep"]

    deadline = time.monotonic() + timeout
    while not await freed():
        assert time.monotonic() < deadline, f"stream {stream_id} not freed: {latest}"
        await asyncio.sleep(0.1)


@pytest.mark.timeout_s(120)
async def test_idle_sessions_expire_and_free_everything(start_server, tmp_path):
    server = start_server("--state-dir", str(tmp_path / "state"), "--session-ttl", "3",
                          "--capacity", "2")
    # A session that never gets media expires after the TTL.
    lonely = (await direct_job(server, "comfystream-video", {"input": {}})).json()["session_id"]

    out = (await direct_job(server, "comfystream-video",
                            {"input": {"prompts": [INVERT], "width": 320, "height": 240}})).json()
    sid = out["session_id"]
    track = PausableTrack()
    async with cc.Sessions() as s:
        pub = s.add(await cc.whip_publish(f"{server.url}/byoc/whip/{sid}", None, path="",
                                          track=track))
        await pub.wait_connected(15)
        viewer = s.add(await cc.whep_subscribe(f"{server.url}/byoc/whep/{sid}", None, path=""))
        await wait_inverted(viewer)

        st = await wait_status(server, lonely, "completed", timeout=10)
        assert "expired" in st["ended_reason"] and "--session-ttl" in st["ended_reason"], st
        assert "error" not in st

        # Media flowing for longer than the TTL keeps a session alive.
        await viewer.wait_more_frames(150, timeout=20)  # 5 s at 30 fps
        assert (await status_of(server, sid)).json()["status"] == "processing"

        # The publisher stops sending frames but stays connected (RTCP, audio): idle.
        track.running.clear()
        st = await wait_status(server, sid, "completed", timeout=15)
        assert "expired" in st["ended_reason"], st
        assert st["result"] == out["result"]
        # Every pipeline and peer of the session is gone.
        await wait_freed(server, "byoc-" + cc.public_id(sid))
        # Ended sessions stay answerable; their endpoints are gone; their slots are free.
        assert (await cc.post_sdp(f"{server.url}/byoc/whep/{sid}",
                                  await cc.offer_sdp("recvonly"))).status == 404
        stats = await server.get_json("/byoc-stats")
        assert {k: v["status"] for k, v in stats.items()} == {lonely: "completed",
                                                              sid: "completed"}
        assert (await direct_job(server, "comfystream-video", {"input": {}})).status == 200


@pytest.mark.timeout_s(120)
async def test_whip_ingest_session_ends_with_its_publisher(start_server, tmp_path):
    server = start_server("--state-dir", str(tmp_path / "state"))
    client = btc.ByocClient(server.url)
    pub, ans = await btc.whip_ingest(client)
    await pub.wait_connected(15)
    # The peer goes away without a DELETE: the server's liveness watchdog removes the publisher,
    # and the session records that its media ended.
    await pub.close(delete=False)
    st = await wait_status(server, ans["session_id"], "completed", timeout=25)
    assert st["ended_reason"] == "media ended: the publisher disconnected", st
    assert await server.whip_stats() == {}

    # A whep-subscribe whose peer never answers the ICE checks fails.
    pub2, ans2 = await btc.whip_ingest(client)
    try:
        await pub2.wait_connected(15)
        pc = cc.make_peer_connection()
        sdp = await cc.make_offer(pc, "recvonly", True, True)
        sub = (await direct_job(server, "whep-subscribe",
                                {"sdp_offer": sdp, "session_id": ans2["session_id"]})).json()
        await pc.close()  # never applies the answer
        st = await wait_status(server, sub["session_id"], "failed", timeout=25)
        assert st["error"] == "media ended: the viewer never connected", st
        assert (await status_of(server, ans2["session_id"])).json()["status"] == "connected"
    finally:
        await pub2.close()


@pytest.mark.timeout_s(150)
async def test_sessions_survive_a_restart(start_server, orch, tmp_path):
    args = worker_args(orch, tmp_path, "--capacity", "2")
    first = start_server(*args)
    await wait_registered(orch)
    client = btc.ByocClient(orch.url, first.url, livepeer=True)
    video = (await direct_job(first, "comfystream-video", {"input": {"prompts": [INVERT]}})).json()
    pub, ingest = await btc.whip_ingest(client, prompts=[INVERT])
    await pub.wait_connected(15)
    gone = (await direct_job(first, "comfystream-video", {"input": {}})).json()["session_id"]
    assert (await delete_session(first, gone)).status == 200
    before = await first.get_json("/byoc-stats")

    # A clean stop ends the live media, unregisters, and writes it all down.
    stop_server(first)
    await pub.close(delete=False)
    assert sorted(orch.unregister_log) == sorted(["comfystream-video", "whip-ingest",
                                                  "whep-subscribe", "comfystream"])
    second = start_server(*args)
    for sid, out in ((video["session_id"], video), (ingest["session_id"], ingest)):
        st = (await status_of(second, sid)).json()
        assert st["status"] == "completed" and st["ended_reason"] == "server shut down", st
        assert st["result"] == out["result"] and st["created_at"] == before[sid]["created_at"]
    assert (await status_of(second, gone)).status == 404
    stats = await second.get_json("/byoc-stats")
    assert {k: (v["capability"], v["status"]) for k, v in stats.items()} == {
        video["session_id"]: ("comfystream-video", "completed"),
        ingest["session_id"]: ("whip-ingest", "completed")}

    # A crash (SIGKILL): the next start marks what was live as failed, with the reason.
    await wait_registered(orch)
    client = btc.ByocClient(orch.url, second.url, livepeer=True)
    pub2, crashed = await btc.whip_ingest(client)
    await pub2.wait_connected(15)
    stop_server(second, hard=True)
    await pub2.close(delete=False)
    third = start_server(*args)
    st = (await status_of(third, crashed["session_id"])).json()
    assert st["status"] == "failed", st
    assert st["error"] == st["ended_reason"] == \
        "media ended: the server stopped without shutting down cleanly", st
    # Earlier ended sessions are untouched; ended sessions hold no capacity.
    assert (await status_of(third, video["session_id"])).json()["ended_reason"] == "server shut down"
    stats = await third.get_json("/byoc-stats")
    assert stats[crashed["session_id"]]["has_error"] is True and len(stats) == 3
    await wait_registered(orch)
    st_, h, b = await standin_job(orch, "comfystream-video", {"input": {}})
    assert st_ == 200, b
    assert json.loads(b)["session_id"] not in stats
