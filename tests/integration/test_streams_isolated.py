"""Two streams at once, different workflows and patterns: each viewer sees only its own stream."""

import pytest

import comfystream_client as cc

B_OFFSET = 10_000_000  # stream b's barcode indices start here; stream a's stay far below


@pytest.mark.timeout_s(90)
async def test_two_streams_do_not_mix(server):
    checks = {}  # viewer id -> list of (index, colours-ok) per frame

    def checker(colors, inverted, index_ok):
        want = cc.expected_colors(colors, inverted)

        def on_frame(viewer, rgb, decoded):
            ok_colors = cc.colors_match(cc.quadrant_colors(rgb), want, tolerance=30)
            checks.setdefault(viewer.id, []).append(
                (decoded[0] if decoded else None, ok_colors and decoded is not None
                 and index_ok(decoded[0])))
        return on_frame

    a_frame = checker(cc.DEFAULT_COLORS, True, lambda i: i < B_OFFSET)
    b_frame = checker(cc.ALT_COLORS, False, lambda i: i >= B_OFFSET)

    async with cc.Sessions() as s:
        pub_a = s.add(await cc.whip_publish(
            server.url, "a", workflow="invert", codec="H264",
            track=cc.PatternTrack(colors=cc.DEFAULT_COLORS, start_index=0)))
        pub_b = s.add(await cc.whip_publish(
            server.url, "b", workflow="passthrough", codec="VP8",
            track=cc.PatternTrack(colors=cc.ALT_COLORS, start_index=B_OFFSET)))
        await pub_a.wait_connected()
        await pub_b.wait_connected()
        va = [s.add(await cc.whep_subscribe(server.url, "a", on_frame=a_frame)) for _ in range(2)]
        vb = [s.add(await cc.whep_subscribe(server.url, "b", on_frame=b_frame)) for _ in range(2)]
        viewers = va + vb
        await cc.wait_until(lambda: all(v.video_frames >= 45 for v in viewers), 30,
                            lambda: f"45 frames at every viewer: "
                                    f"{[(v.id[:8], v.video_frames) for v in viewers]}")

        for v in viewers:
            frames = checks[v.id]
            wrong = [i for i, ok in frames if not ok]
            # every frame must be this stream's picture (colours, workflow, index range);
            # allow nothing from the other stream
            assert len(wrong) <= 0.05 * len(frames), (
                f"viewer {v.id} of stream {'a' if v in va else 'b'}: {len(wrong)} of "
                f"{len(frames)} frames not from its own stream; indices {wrong[:20]}")
            other = [i for i, _ in frames if i is not None
                     and ((i >= B_OFFSET) if v in va else (i < B_OFFSET))]
            assert not other, f"viewer {v.id} received frames of the other stream: {other[:20]}"

        whep = await server.whep_stats()
        assert {whep[v.public_id]["stream_id"] for v in va} == {"a"}, whep
        assert {whep[v.public_id]["stream_id"] for v in vb} == {"b"}, whep
        whip = await server.whip_stats()
        assert (whip[pub_a.public_id]["stream_id"], whip[pub_a.public_id]["workflow"]) == ("a", "invert")
        assert (whip[pub_b.public_id]["stream_id"], whip[pub_b.public_id]["workflow"]) == ("b", "passthrough")
