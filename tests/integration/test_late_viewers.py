"""Viewers that join a running stream: each one's first decoded frame comes from a keyframe the
server forces for it (coalesced with the others' requests, never dropped), whatever codec the
publisher sends. How fast is measured in bench/latency.py (docs/BENCHMARKS.md), not here."""

import pytest

import comfystream_client as cc


def assert_pattern(viewer: cc.Viewer):
    assert not viewer.errors, viewer.errors
    assert viewer.decoded_indices(), f"viewer {viewer.id}: no readable barcode in {viewer.indices}"
    idx = viewer.decoded_indices()
    assert idx == sorted(idx), f"viewer {viewer.id}: frames out of order: {idx}"
    want = cc.expected_colors(cc.DEFAULT_COLORS, inverted=True)
    got = cc.quadrant_colors(viewer.last_rgb())
    assert cc.colors_match(got, want, tolerance=30), (viewer.id, got, want)


@pytest.mark.timeout_s(120)
@pytest.mark.parametrize("publisher_codec,viewer_codec",
                         [("H264", "H264"), ("VP8", "H264"), ("VP8", "VP8")])
async def test_viewers_joining_seconds_in_each_decode_frames(server, publisher_codec,
                                                             viewer_codec):
    async with cc.Sessions() as s:
        pub = s.add(await cc.whip_publish(server.url, "late", workflow="invert",
                                          codec=publisher_codec))
        await pub.wait_connected()
        first = s.add(await cc.whep_subscribe(server.url, "late", codec=viewer_codec))
        await first.wait_frames(1, timeout=15)
        # A few seconds in (90 frames at 30 fps), well past the keyframe the encoder started with
        # and inside its 2 s GOP: only a keyframe forced for them lets the late viewers start.
        await first.wait_more_frames(90, timeout=30)
        # Two at once (their requests coalesce), then one more after they have started.
        late = [s.add(await cc.whep_subscribe(server.url, "late", codec=viewer_codec))
                for _ in range(2)]
        for v in late:
            await v.wait_frames(1, timeout=15)
        last = s.add(await cc.whep_subscribe(server.url, "late", codec=viewer_codec))
        await last.wait_frames(1, timeout=15)
        late.append(last)
        for v in [first] + late:
            await v.wait_more_frames(15, timeout=15)
            assert_pattern(v)
            assert set(v.sizes) == {(320, 240)}, v.sizes
