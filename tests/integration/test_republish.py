"""A publisher leaves and another one publishes to the same stream: viewers keep watching."""

import pytest

import comfystream_client as cc

SECOND = 1_000_000  # barcode indices of the second publisher start here


@pytest.mark.timeout_s(90)
@pytest.mark.parametrize("second_codec", ["H264", "VP8"])
async def test_viewers_get_the_next_publisher_without_resubscribing(server, second_codec):
    async with cc.Sessions() as s:
        pub1 = s.add(await cc.whip_publish(server.url, "show", workflow="invert", codec="H264",
                                           track=cc.PatternTrack(start_index=0)))
        await pub1.wait_connected()
        viewers = [s.add(await cc.whep_subscribe(server.url, "show")) for _ in range(2)]
        for v in viewers:
            await v.wait_frames(30, timeout=15)
        assert all(i < SECOND for v in viewers for i in v.decoded_indices())

        # the first publisher leaves
        await pub1.close()
        assert pub1.delete_response.status == 200, pub1.delete_response
        whip = await server.whip_stats()
        assert pub1.public_id not in whip, whip
        whep = await server.whep_stats()
        assert all(v.public_id in whep for v in viewers), f"viewers dropped with the publisher: {whep}"

        # a new publisher on the same stream, other codec/workflow/index range
        marks = [len(v.indices) for v in viewers]
        pub2 = s.add(await cc.whip_publish(server.url, "show", workflow="passthrough",
                                           codec=second_codec,
                                           track=cc.PatternTrack(start_index=SECOND)))
        await pub2.wait_connected()

        def new_frames(v, mark):
            return [i for i in v.decoded_indices(since=mark) if i >= SECOND]

        await cc.wait_until(
            lambda: all(len(new_frames(v, m)) >= 30 for v, m in zip(viewers, marks)), 20,
            lambda: "30 frames of the second publisher at every viewer: "
                    f"{[(v.id[:8], len(new_frames(v, m))) for v, m in zip(viewers, marks)]}")

        whep = await server.whep_stats()
        for v in viewers:
            assert v.connection_state == "connected"
            assert whep[v.public_id]["connection_state"] == "connected", whep
            # the new workflow applies: colours as sent, not inverted
            assert cc.colors_match(cc.quadrant_colors(v.last_rgb()), cc.DEFAULT_COLORS, 30), \
                cc.quadrant_colors(v.last_rgb())
            # once the new publisher's frames arrive, no stale frame of the old one follows
            idx = v.decoded_indices(since=marks[viewers.index(v)])
            first_new = next(k for k, i in enumerate(idx) if i >= SECOND)
            assert all(i >= SECOND for i in idx[first_new:]), idx
            assert v.sizes.keys() == {(320, 240)}
