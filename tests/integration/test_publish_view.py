"""One aiortc publisher -> comfystream -> several aiortc viewers: what every viewer sees."""

import pytest

import comfystream_client as cc

WINDOW = 60  # frames (by barcode index) a viewer must span after its first frame


def window_span(viewer: cc.Viewer) -> int:
    idx = viewer.decoded_indices(since=1)
    return max(idx) - min(idx) + 1 if idx else 0


async def wait_window(viewers, timeout=30.0):
    await cc.wait_until(
        lambda: all(window_span(v) >= WINDOW for v in viewers), timeout,
        lambda: "every viewer spanning %d frames: %s" % (
            WINDOW, [(v.id[:8], v.video_frames, window_span(v)) for v in viewers]))


async def diagnostics(server, viewers) -> str:
    """Where frames went missing, for failure messages: server counters and client RTP loss."""
    lines = [f"whip-stats: {await server.whip_stats()}", f"whep-stats: {await server.whep_stats()}"]
    for v in viewers:
        stats = await v.pc.getStats()
        rtp = [(x.kind, x.packetsReceived, x.packetsLost) for x in stats.values()
               if x.type == "inbound-rtp"]
        lines.append(f"viewer {v.id}: frames {v.video_frames}, inbound (kind, packets, lost) {rtp}")
    return "\n".join(lines)


def assert_good_video(viewer: cc.Viewer, width: int, height: int, colors, inverted: bool,
                      diag: str = ""):
    frames = viewer.video_frames
    assert not viewer.errors, viewer.errors
    # every decoded picture has the publisher's size
    assert set(viewer.sizes) == {(width, height)}, viewer.sizes
    # delivery: distinct barcode indices over the index span, first frame excluded
    distinct, span, ratio = viewer.delivery(since=1)
    assert ratio >= 0.9, (f"viewer {viewer.id} got {distinct} of {span} frames "
                          f"({ratio:.0%}); indices {viewer.indices}\n{diag}")
    # frames are pictures of the pattern, not garbage: almost all barcodes readable
    readable = len(viewer.decoded_indices())
    assert readable >= 0.9 * frames, f"only {readable}/{frames} frames had a readable barcode"
    # in order
    idx = viewer.decoded_indices()
    assert idx == sorted(idx), f"frames out of order: {idx}"
    # colours: every kept frame, each quadrant centre
    want = cc.expected_colors(colors, inverted)
    for rgb in viewer.last_frames:
        got = cc.quadrant_colors(rgb)
        assert cc.colors_match(got, want, tolerance=30), (
            f"viewer {viewer.id}: quadrant colours {[tuple(round(c) for c in g) for g in got]}, "
            f"want {want} ({'inverted' if inverted else 'as sent'})")


@pytest.mark.timeout_s(90)
@pytest.mark.parametrize("codec", ["H264", "VP8"])
async def test_invert_fans_out_to_three_viewers(server, codec):
    async with cc.Sessions() as s:
        pub = s.add(await cc.whip_publish(server.url, "default", workflow="invert", codec=codec))
        await pub.wait_connected()
        # one viewer per offer flavour: aiortc's default (VP8 + H264), H264 only, VP8 only
        offers = [None, "H264", "VP8"]
        viewers = [s.add(await cc.whep_subscribe(server.url, "default", codec=c)) for c in offers]
        for v in viewers:
            await v.wait_frames(1, timeout=15)
        await wait_window(viewers)
        for v in viewers:
            await v.wait_audio(1, timeout=10)

        diag = await diagnostics(server, viewers)
        for v in viewers:
            assert_good_video(v, 320, 240, cc.DEFAULT_COLORS, inverted=True, diag=diag)
            assert v.audio_frames > 0
            assert v.connection_state == "connected"

        # docs: H264 when the offer has it, else VP8; the publisher's codec is what it offered
        whep = await server.whep_stats()
        assert [whep[v.public_id]["video_codec"] for v in viewers] == ["H264", "H264", "VP8"], whep
        whip = await server.whip_stats()
        assert whip[pub.public_id]["video_codec"] == codec, whip


@pytest.mark.timeout_s(60)
async def test_passthrough_is_the_default_workflow_and_keeps_colours(server):
    async with cc.Sessions() as s:
        # no workflow parameter: docs say passthrough is the default
        pub = s.add(await cc.whip_publish(server.url, "plain", workflow=None, codec="H264"))
        await pub.wait_connected()
        viewer = s.add(await cc.whep_subscribe(server.url, "plain"))
        await viewer.wait_frames(1, timeout=15)
        await wait_window([viewer])
        diag = await diagnostics(server, [viewer])
        assert_good_video(viewer, 320, 240, cc.DEFAULT_COLORS, inverted=False, diag=diag)
        # and definitely not inverted
        assert not cc.colors_match(cc.quadrant_colors(viewer.last_rgb()),
                                   cc.expected_colors(cc.DEFAULT_COLORS, True), tolerance=30)
        whip = await server.whip_stats()
        assert whip[pub.public_id]["workflow"] == "passthrough", whip
