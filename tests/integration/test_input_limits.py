"""Issue 7, part 1: hostile inputs are refused with 400 while a live stream keeps flowing.

Deep JSON (which used to overflow the stack: SIGSEGV), a 16384² EmptyImage (2.7 GB and 11 s of
warm-up), invalid UTF-8 in stream ids and SDP (500 for everyone), out-of-range a=extmap ids (a
GStreamer field name leaked per id). docs/security/LIMITS.md lists every limit.
"""

import json
import time

import comfystream_client as cc

DEEP = 58000  # ~116 KB, the measured attack


def deep_workflow() -> str:
    return ('{"1": {"class_type": "LoadTensor", "inputs": {"x": ' + "[" * DEEP + "]" * DEEP +
            '}}, "2": {"class_type": "SaveTensor", "inputs": {"images": ["1", 0]}}}')


def huge_image_workflow() -> dict:
    return {"1": {"class_type": "LoadTensor", "inputs": {}},
            "2": {"class_type": "EmptyImage",
                  "inputs": {"width": 16384, "height": 16384, "batch_size": 1, "color": 0}},
            "3": {"class_type": "ImageBlend",
                  "inputs": {"image1": ["1", 0], "image2": ["2", 0], "blend_factor": 0.5,
                             "blend_mode": "normal"}},
            "4": {"class_type": "SaveTensor", "inputs": {"images": ["3", 0]}}}


async def post_json(url: str, body) -> cc.HttpResponse:
    data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    return await cc.http_request("POST", url, data, {"Content-Type": "application/json"})


def assert_400(resp: cc.HttpResponse, what: str) -> dict:
    assert resp.status == 400, f"{what}: {resp!r}"
    return resp.json()


async def test_hostile_inputs_are_400_while_a_stream_keeps_playing(server):
    url = server.url
    async with cc.Sessions() as s:
        pub = s.add(await cc.whip_publish(url, "live", workflow="invert"))
        await pub.wait_connected()
        view = s.add(await cc.whep_subscribe(url, "live"))
        await view.wait_frames(10, timeout=15)
        before = view.video_frames

        deep = deep_workflow()
        assert_400(await post_json(f"{url}/prompt?streamId=live", deep), "deep /prompt")
        assert_400(await post_json(f"{url}/process/request/comfystream-video",
                                   '{"input": {"prompts": ' + deep + "}}"), "deep BYOC job")
        offer = await cc.offer_sdp("sendrecv")
        assert_400(await post_json(f"{url}/offer", '{"offer": {"sdp": ' + json.dumps(offer) +
                                   ', "type": "offer"}, "prompts": ' + deep + "}"), "deep /offer")

        t0 = time.monotonic()
        body = assert_400(await post_json(f"{url}/process/request/comfystream-video",
                                          {"input": {"prompts": huge_image_workflow()}}),
                          "16384² EmptyImage job")
        assert time.monotonic() - t0 < 2, "the size was not refused before warm-up"
        assert "--max-image-size" in json.dumps(body), body
        t0 = time.monotonic()
        body = assert_400(await post_json(f"{url}/prompt?streamId=live", huge_image_workflow()),
                          "16384² EmptyImage /prompt")
        assert time.monotonic() - t0 < 2
        assert body["node_errors"]["2"]["class_type"] == "EmptyImage", body

        pub_offer = await cc.offer_sdp("sendonly")
        assert_400(await cc.post_sdp(f"{url}/whip?streamId=bad%FF", pub_offer), "stream id \\xFF")
        assert_400(await cc.post_sdp(f"{url}/whip?streamId=a%0D%0Ab", pub_offer), "stream id CRLF")
        bad_utf8 = pub_offer.replace("s=-", "s=\udcff", 1).encode("utf-8", "surrogateescape")
        resp = await cc.http_request("POST", f"{url}/whip?streamId=u8", bad_utf8,
                                     {"Content-Type": "application/sdp"})
        assert_400(resp, "SDP with invalid UTF-8")
        lines = pub_offer.split("\r\n")
        m = next(i for i, l in enumerate(lines) if l.startswith("m=video"))
        lines.insert(m + 1, "a=extmap:99999 urn:example:leak")
        assert_400(await cc.post_sdp(f"{url}/whip?streamId=ext", "\r\n".join(lines)), "extmap id")

        # Stats still answer, the rejected requests left nothing behind, media kept flowing.
        assert set(await server.whip_stats()) == {pub.public_id}
        await cc.wait_until(lambda: view.video_frames >= before + 30, 10,
                            lambda: f"30 more frames ({view.video_frames - before})")
        # And the stream still takes a sane workflow update.
        ok = await post_json(f"{url}/prompt?streamId=live", {
            "1": {"class_type": "LoadTensor", "inputs": {}},
            "2": {"class_type": "SaveTensor", "inputs": {"images": ["1", 0]}}})
        assert ok.status == 200, ok
