"""A viewer that dies without DELETE (SIGKILL) is removed by the server; live viewers stay."""

import asyncio
import os
import signal
import sys
import time

import pytest

import comfystream_client as cc
from conftest import EXAMPLES_DIR

DEADLINE_S = 20  # docs/API.md promises removal within 15 s


async def read_until(proc, stream_lines, pattern: str, timeout: float) -> str:
    """Read the subprocess's stdout until a line contains ``pattern``; keep every line."""
    async def _read():
        while True:
            raw = await proc.stdout.readline()
            if not raw:
                raise AssertionError(f"viewer process ended before {pattern!r}:\n"
                                     + "".join(stream_lines))
            line = raw.decode(errors="replace")
            stream_lines.append(line)
            if pattern in line:
                return line
    try:
        return await asyncio.wait_for(_read(), timeout)
    except asyncio.TimeoutError:
        raise AssertionError(f"no {pattern!r} from the viewer process within {timeout}s:\n"
                             + "".join(stream_lines))


@pytest.mark.timeout_s(90)
async def test_killed_viewer_is_removed_and_others_keep_playing(server):
    async with cc.Sessions() as s:
        pub = s.add(await cc.whip_publish(server.url, "live", workflow="invert"))
        await pub.wait_connected()
        keeper = s.add(await cc.whep_subscribe(server.url, "live"))
        await keeper.wait_frames(1, timeout=15)

        # the victim: the example recorder, in its own process, receiving without recording
        lines = []
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-u", str(EXAMPLES_DIR / "whep_record.py"), "--url", server.url,
            "--stream", "live", "--out", "", stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
        try:
            line = await read_until(proc, lines, "subscribed ", 20)
            victim_id = cc.public_id(line.strip().rsplit("/", 1)[-1])
            await read_until(proc, lines, "first video frame", 20)
            stats = await server.whep_stats()
            assert stats.get(victim_id, {}).get("connection_state") == "connected", stats

            proc.send_signal(signal.SIGKILL)
            await proc.wait()
            killed_at = time.monotonic()
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()

        latest = {}

        async def gone() -> bool:
            latest["stats"] = await server.whep_stats()
            return victim_id not in latest["stats"]

        while not await gone():
            assert time.monotonic() - killed_at < DEADLINE_S, (
                f"viewer {victim_id} killed {DEADLINE_S}s ago is still listed: {latest['stats']}")
            await asyncio.sleep(0.25)
        removed_after = time.monotonic() - killed_at

        # the viewer that is alive was not swept with it, and still plays
        assert keeper.public_id in latest["stats"], (
            f"live viewer removed too (victim gone after {removed_after:.1f}s): {latest['stats']}")
        await keeper.wait_more_frames(30, timeout=10)
        assert keeper.connection_state == "connected"
        assert pub.public_id in await server.whip_stats()
