"""GET /whip-stats and /whep-stats: the shapes documented in docs/API.md, and their life cycle."""

import asyncio
import time

import pytest

import comfystream_client as cc

WHIP_FIELDS = {
    "created_at": float, "connection_state": str, "has_video": bool, "has_audio": bool,
    "stream_id": str, "workflow": str, "video_codec": str, "frames_received": int,
    "frames_processed": int, "frames_dropped": int, "width": int, "height": int,
}
WHEP_FIELDS = {
    "created_at": float, "connection_state": str, "has_video": bool, "has_audio": bool,
    "stream_id": str, "video_codec": str, "frames_sent": int, "frames_dropped": int,
}


def assert_shape(entry: dict, fields: dict) -> None:
    for name, typ in fields.items():
        assert name in entry, f"missing {name!r} in {entry}"
        value = entry[name]
        if typ is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        else:
            ok = isinstance(value, typ)
        assert ok, f"{name!r} should be {typ.__name__}: {value!r} in {entry}"


async def poll_entry(server, path, key, predicate, what, timeout=15.0):
    box = {}

    async def fetch():
        box["stats"] = await server.get_json(path)
        return box["stats"].get(key)

    deadline = time.monotonic() + timeout
    while True:
        entry = await fetch()
        if entry is not None and predicate(entry):
            return entry
        if time.monotonic() > deadline:
            raise AssertionError(f"{path}: {what} not reached for {key}: {box['stats']}")
        await asyncio.sleep(0.1)


@pytest.mark.timeout_s(60)
async def test_stats_shapes_and_life_cycle(server):
    before = time.time()
    async with cc.Sessions() as s:
        pub = s.add(await cc.whip_publish(server.url, "st", workflow="invert", codec="H264"))
        viewer = s.add(await cc.whep_subscribe(server.url, "st", codec="VP8"))
        after = time.time()
        await viewer.wait_frames(10, timeout=15)

        w = await poll_entry(server, "/whip-stats", pub.public_id,
                             lambda e: e["connection_state"] == "connected"
                             and e.get("frames_received", 0) > 0, "connected with frames")
        assert_shape(w, WHIP_FIELDS)
        assert before - 1 <= w["created_at"] <= after + 1, (before, w["created_at"], after)
        assert (w["has_video"], w["has_audio"]) == (True, True)
        assert (w["stream_id"], w["workflow"], w["video_codec"]) == ("st", "invert", "H264")
        assert (w["width"], w["height"]) == (320, 240)
        assert 0 <= w["frames_processed"] <= w["frames_received"]

        e = await poll_entry(server, "/whep-stats", viewer.public_id,
                             lambda e: e["connection_state"] == "connected"
                             and e.get("frames_sent", 0) > 0, "connected with frames")
        assert_shape(e, WHEP_FIELDS)
        assert before - 1 <= e["created_at"] <= after + 1
        assert (e["has_video"], e["has_audio"]) == (True, True)
        assert (e["stream_id"], e["video_codec"]) == ("st", "VP8")

        # counters move while the session plays
        sent = e["frames_sent"]
        received = w["frames_received"]
        await poll_entry(server, "/whep-stats", viewer.public_id, lambda x: x["frames_sent"] >= sent + 15,
                         "frames_sent rising")
        await poll_entry(server, "/whip-stats", pub.public_id,
                         lambda x: x["frames_received"] >= received + 15, "frames_received rising")

        # a video-only publisher says so; the /live prefix serves the same stats
        vonly = s.add(await cc.whip_publish(server.url, "st2", audio=False))
        await vonly.wait_connected()
        live = await cc.get_json(server.url, "/live/whip-stats")
        assert (live[vonly.public_id]["has_video"], live[vonly.public_id]["has_audio"]) == (True, False), live
        assert live[vonly.public_id]["stream_id"] == "st2"
        assert set(live) == {pub.public_id, vonly.public_id}, live
        assert set(await cc.get_json(server.url, "/live/whep-stats")) == {viewer.public_id}

        # entries disappear with DELETE
        await viewer.close()
        assert viewer.public_id not in await server.whep_stats()
        await pub.close()
        await vonly.close()
        assert await server.whip_stats() == {}
        assert await server.whep_stats() == {}
