"""Issue 9: a publisher that vanishes without DELETE (SIGKILL: network loss, OBS or ffmpeg
reconnecting) no longer locks its stream until the watchdog fires. A new publisher takes over at
once and the viewers stay; ``--publisher-takeover never`` keeps the 409, now with Retry-After."""

import asyncio
import os
import signal
import sys
import time

import pytest

import comfystream_client as cc
from conftest import EXAMPLES_DIR
from test_liveness import read_until

SECOND = 1_000_000  # barcode indices of the replacement publisher start here


@pytest.mark.timeout_s(90)
async def test_a_killed_publisher_is_replaced_at_once_and_viewers_stay(server):
    async with cc.Sessions() as s:
        lines = []
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-u", str(EXAMPLES_DIR / "whip_publish.py"), "--url", server.url,
            "--stream", "cam", "--workflow", "invert", "--no-audio",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
        try:
            await read_until(proc, lines, "connection state: connected", 20)
            viewers = [s.add(await cc.whep_subscribe(server.url, "cam")) for _ in range(2)]
            for v in viewers:
                await v.wait_frames(10, timeout=15)
            old = set(await server.whip_stats())
            assert len(old) == 1, old
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        killed = time.monotonic()

        # The server still believes the old publisher is live (no DELETE, ICE still up): the
        # re-publish is answered 201 all the same.
        marks = [len(v.indices) for v in viewers]
        pub = s.add(await cc.whip_publish(server.url, "cam", workflow="invert", audio=False,
                                          track=cc.PatternTrack(start_index=SECOND)))
        assert pub.response.status == 201
        answered = time.monotonic() - killed
        whip = await server.whip_stats()
        assert set(whip) == {pub.public_id}, f"the old publisher was not replaced: {whip}"

        for v, mark in zip(viewers, marks):
            await cc.wait_until(
                lambda: any(i >= SECOND for i in v.decoded_indices(since=mark)), 15,
                "the viewer to get the new publisher's frames without resubscribing")
        flowing = time.monotonic() - killed
        whep = await server.whep_stats()
        assert all(v.public_id in whep for v in viewers), whep
        print(f"SIGKILL → 201 in {answered * 1000:.0f} ms, frames again in {flowing * 1000:.0f} ms")


@pytest.mark.timeout_s(60)
async def test_never_keeps_the_409_and_says_when_to_retry(start_server):
    server = start_server("--publisher-takeover", "never")
    async with cc.Sessions() as s:
        first = s.add(await cc.whip_publish(server.url, "one", audio=False))
        await first.wait_connected()
        with pytest.raises(cc.HttpError) as e:
            await cc.whip_publish(server.url, "one", audio=False)
        r = e.value.response
        assert r.status == 409, r
        retry = r.header("Retry-After")
        # the silence watchdog (10 s) frees the stream at the latest that long after the last
        # packet of a vanished publisher
        assert retry is not None and retry.isdigit() and 1 <= int(retry) <= 10, r.headers
        assert set(await server.whip_stats()) == {first.public_id}
