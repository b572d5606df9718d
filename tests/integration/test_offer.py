"""The original comfystream's signalling, as its UI uses it: POST /offer with JSON, one sendrecv
connection that sends the camera and receives the processed stream, plus the control channel."""

import asyncio
import json

import pytest
from aiortc import RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

import comfystream_client as cc

NODE = lambda t, **inputs: {"class_type": t, "inputs": inputs}  # noqa: E731
INVERT = {"1": NODE("LoadTensor"), "2": NODE("ImageInvert", image=["1", 0]),
          "3": NODE("SaveTensor", images=["2", 0])}
PASSTHROUGH = {"1": NODE("LoadTensor"), "2": NODE("SaveTensor", images=["1", 0])}


class OriginalUiClient:
    """What ui/src/hooks/use-peer.ts does: sendrecv video+audio, 'control' and 'data' channels,
    non-trickle offer POSTed as JSON to /offer."""

    def __init__(self):
        self.pc = cc.make_peer_connection()
        self.control = self.pc.createDataChannel("control")
        self.data = self.pc.createDataChannel("data")
        self.replies: asyncio.Queue = asyncio.Queue()
        self.control.on("message", lambda m: self.replies.put_nowait(json.loads(m)))
        self.frames = 0
        self.last_rgb = None
        self.audio_frames = 0
        self._tasks = []
        self.pc.on("track", self._on_track)

    def _on_track(self, track):
        async def pump():
            try:
                while True:
                    frame = await track.recv()
                    if track.kind == "video":
                        self.last_rgb = frame.to_ndarray(format="rgb24")
                        self.frames += 1
                    else:
                        self.audio_frames += 1
            except MediaStreamError:
                pass
        self._tasks.append(asyncio.ensure_future(pump()))

    async def offer_body(self, **extra) -> dict:
        sdp = await cc.make_offer(self.pc, "sendrecv", cc.PatternTrack(), cc.ToneTrack(), "H264")
        return {"offer": {"sdp": sdp, "type": "offer"}, **extra}

    async def connect(self, server, **extra):
        body = await self.offer_body(**extra)
        r = await cc.http_request("POST", server.url + "/offer", json.dumps(body).encode(),
                                  {"Content-Type": "application/json"})
        assert r.status == 200, r
        answer = r.json()
        assert answer["type"] == "answer"
        await self.pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
        return self

    def looks(self):
        if self.last_rgb is None:
            return None
        got = cc.quadrant_colors(self.last_rgb)
        for name, inv in (("inverted", True), ("plain", False)):
            if cc.colors_match(got, cc.expected_colors(cc.DEFAULT_COLORS, inv), tolerance=30):
                return name
        return None

    async def wait_looks(self, want, timeout=15.0):
        await cc.wait_until(lambda: self.looks() == want, timeout,
                            lambda: f"processed frames {want} (now {self.looks()}, {self.frames} frames)")

    async def ask(self, message, timeout=20.0):
        await cc.wait_until(lambda: self.control.readyState == "open", 10, "control channel open")
        self.control.send(json.dumps(message))
        return await asyncio.wait_for(self.replies.get(), timeout)

    async def close(self):
        for t in self._tasks:
            t.cancel()
        await self.pc.close()


@pytest.mark.timeout_s(90)
async def test_offer_sends_back_the_processed_stream(server):
    client = await OriginalUiClient().connect(
        server, prompts=[INVERT], resolution={"width": 320, "height": 240})
    try:
        await client.wait_looks("inverted")
        await cc.wait_until(lambda: client.audio_frames > 10, 10, "audio back")
        # Its own stream: listed in the stats, processed by its workflow.
        stats = await server.get_json("/streams/stats")
        assert len(stats) == 1 and next(iter(stats.values()))["frames_processed"] > 0
        # The control channel changes the workflow on the same connection.
        reply = await client.ask({"type": "update_prompts", "prompts": [PASSTHROUGH]})
        assert reply == {"type": "prompts_updated", "success": True}
        await client.wait_looks("plain")
    finally:
        await client.close()


@pytest.mark.timeout_s(60)
async def test_offer_without_prompts_is_noop_passthrough(server):
    client = await OriginalUiClient().connect(server)
    try:
        await client.wait_looks("plain")
    finally:
        await client.close()


@pytest.mark.timeout_s(60)
async def test_offer_errors(server):
    async def post(body: bytes):
        return await cc.http_request("POST", server.url + "/offer", body,
                                     {"Content-Type": "application/json"})

    r = await post(b"{not json")
    assert r.status == 400 and "invalid JSON" in r.json()["error"]
    r = await post(json.dumps({"prompts": [INVERT]}).encode())
    assert r.status == 400 and "offer" in r.json()["error"]
    client = OriginalUiClient()
    try:
        body = await client.offer_body(prompts=[{"1": NODE("LoadTensor"), "2": NODE("KSampler"),
                                                 "3": NODE("SaveTensor", images=["1", 0])}])
        r = await post(json.dumps(body).encode())
        assert r.status == 400
        assert r.json()["error"]["type"] == "invalid_prompt"
        assert "KSampler" in r.json()["node_errors"]["2"]["class_type"]
        body["resolution"] = {"width": "wide"}
        body["prompts"] = [INVERT]
        r = await post(json.dumps(body).encode())
        assert r.status == 400 and "resolution" in r.json()["error"]
    finally:
        await client.close()
    # nothing half-created is left behind
    assert await server.get_json("/streams/stats") == {}
