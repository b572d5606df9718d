"""The measuring instrument itself (examples/comfystream_client.py), without the server.

The server tests read frame indices from a barcode and compare quadrant colours; if the pattern
or its decoder were wrong, they would fail (or pass) for the wrong reason. These tests prove the
pattern survives a real H264/VP8 encode/decode between two aiortc peers in one process, that the
decoder tells plain from inverted, and that it rejects pictures that carry no barcode.
"""

import asyncio

import numpy as np
import pytest
from aiortc import RTCSessionDescription

import comfystream_client as cc


@pytest.mark.parametrize("index,send_ms", [(0, 0), (1, 2), (123456, 987654321),
                                           (0xFFFFFFFF, 0xFFFFFFFF), (0x80000001, 7)])
def test_barcode_round_trip_plain_and_inverted(index, send_ms):
    img = cc.PatternTrack().make_image(index, send_ms)
    assert cc.decode_barcode(img, inverted=False) == (index, send_ms)
    assert cc.decode_barcode(255 - img, inverted=True) == (index, send_ms)
    assert cc.decode_barcode(255 - img, inverted=None) == (index, send_ms)
    # read with the wrong polarity, the check word fails: no silent wrong index
    assert cc.decode_barcode(255 - img, inverted=False) is None
    assert cc.decode_barcode(img, inverted=True) is None


def test_barcode_rejects_pictures_without_one():
    rng = np.random.default_rng(1)
    assert cc.decode_barcode(np.zeros((240, 320, 3), np.uint8), None) is None
    assert cc.decode_barcode(np.full((240, 320, 3), 255, np.uint8), None) is None
    noise = [rng.integers(0, 256, (240, 320, 3), dtype=np.uint8) for _ in range(50)]
    assert sum(cc.decode_barcode(n, None) is not None for n in noise) == 0


def test_barcode_survives_moderate_noise():
    rng = np.random.default_rng(2)
    img = cc.PatternTrack().make_image(4242, 99).astype(np.int16)
    noisy = np.clip(img + rng.integers(-60, 61, img.shape), 0, 255).astype(np.uint8)
    assert cc.decode_barcode(noisy) == (4242, 99)


def test_pattern_quadrants_and_inversion():
    img = cc.PatternTrack(colors=cc.ALT_COLORS).make_image(1, 1)
    assert cc.colors_match(cc.quadrant_colors(img), cc.ALT_COLORS, tolerance=0)
    assert cc.colors_match(cc.quadrant_colors(255 - img),
                           cc.expected_colors(cc.ALT_COLORS, inverted=True), tolerance=0)
    assert not cc.colors_match(cc.quadrant_colors(255 - img), cc.ALT_COLORS)


async def test_pattern_track_pts_advance_at_nominal_rate():
    for fps in (30, 15):
        track = cc.PatternTrack(fps=fps, start_index=10)
        frames = [await track.recv() for _ in range(4)]
        assert [f.pts for f in frames] == [i * 90000 // fps for i in range(4)]
        assert [cc.decode_barcode(f.to_ndarray(format="rgb24"))[0] for f in frames] == \
            [10, 11, 12, 13]
        assert (frames[0].width, frames[0].height) == (320, 240)
        track.stop()


@pytest.mark.timeout_s(60)
@pytest.mark.parametrize("codec", ["H264", "VP8"])
async def test_pattern_survives_codec_between_two_aiortc_peers(codec):
    sender = cc.make_peer_connection()
    receiver = cc.make_peer_connection()
    got = {"idx": [], "rgb": None, "audio": 0}

    async def consume(track):
        while True:
            frame = await track.recv()
            if track.kind == "audio":
                got["audio"] += 1
                continue
            rgb = frame.to_ndarray(format="rgb24")
            decoded = cc.decode_barcode(rgb, inverted=False)
            got["idx"].append(decoded[0] if decoded else None)
            got["rgb"] = rgb

    tasks = []
    receiver.on("track", lambda t: tasks.append(asyncio.ensure_future(consume(t))))
    try:
        offer = await cc.make_offer(sender, "sendonly", cc.PatternTrack(), cc.ToneTrack(), codec)
        cands = [l for l in offer.splitlines() if l.startswith("a=candidate")]
        assert cands and all(" 127.0.0.1 " in l for l in cands), cands
        # aiortc 1.4 gives abs-send-time (video) and ssrc-audio-level (audio) the same extmap id
        # in one BUNDLE and then mis-parses its own audio packets (struct.error) when it is the
        # receiver. Not what is under test here: drop the header extensions.
        offer = "\r\n".join(l for l in offer.splitlines() if not l.startswith("a=extmap")) + "\r\n"
        await receiver.setRemoteDescription(RTCSessionDescription(offer, "offer"))
        await receiver.setLocalDescription(await receiver.createAnswer())
        assert f"{codec}/90000" in receiver.localDescription.sdp
        await sender.setRemoteDescription(receiver.localDescription)

        await cc.wait_until(lambda: len(got["idx"]) >= 61, 20,
                            lambda: f"61 frames (got {len(got['idx'])})")
        frames = got["idx"][1:]
        idx = [i for i in frames if i is not None]
        # A rare frame mixes macroblocks of two pictures (seen with libvpx: ~0.5% of frames,
        # every block a clean black or white). The check word rejects those, so they read as
        # None, never as a wrong index; the server tests allow the same 10%.
        assert len(idx) >= 0.9 * len(frames), f"undecodable frames after {codec}: {frames}"
        assert idx == sorted(idx)
        assert len(set(idx)) / (max(idx) - min(idx) + 1) >= 0.9
        assert cc.colors_match(cc.quadrant_colors(got["rgb"]), cc.DEFAULT_COLORS, tolerance=30)
        assert got["audio"] > 0
    finally:
        for t in tasks:
            t.cancel()
        await sender.close()
        await receiver.close()
