"""Viewers joining and leaving many times leak neither file descriptors nor threads."""

import pytest

import comfystream_client as cc
from conftest import stable_counts

CYCLES = 50


async def one_cycle(server, n: int):
    v = await cc.whep_subscribe(server.url, "churn")
    try:
        await v.wait_frames(1, timeout=15)
    finally:
        await v.close()
    assert v.delete_response is not None and v.delete_response.status == 200, \
        f"cycle {n}: DELETE answered {v.delete_response}"


@pytest.mark.timeout_s(240)
async def test_fifty_viewer_cycles_return_to_baseline(server):
    async with cc.Sessions() as s:
        pub = s.add(await cc.whip_publish(server.url, "churn", workflow="invert"))
        await pub.wait_connected()

        # The first viewer may create lazily built, long-lived parts (the stream's encoder):
        # the baseline is taken after it has come and gone.
        await one_cycle(server, 0)
        assert await server.whep_stats() == {}
        base_fds, base_threads = await stable_counts(server)

        for n in range(1, CYCLES):
            await one_cycle(server, n)

        assert await server.whep_stats() == {}, "viewers left behind after DELETE"
        # Exact: every session's sockets and threads must go. Poll, teardown is asynchronous.
        try:
            await cc.wait_until(
                lambda: (server.fd_count(), server.thread_count()) == (base_fds, base_threads),
                20, "fd/thread counts back to the baseline")
        except TimeoutError:
            pytest.fail(f"after {CYCLES} viewer cycles: fds {server.fd_count()} (baseline "
                        f"{base_fds}), threads {server.thread_count()} (baseline {base_threads})")

        # the stream is still fine after all that
        v = s.add(await cc.whep_subscribe(server.url, "churn"))
        await v.wait_frames(30, timeout=15)
