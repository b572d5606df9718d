"""Workflows end to end: ComfyUI API-format files from the workspace, POST /prompt, and the
original comfystream's data channels (control and data), between real aiortc peers."""

import asyncio
import json

import pytest
from aiortc import RTCSessionDescription

import comfystream_client as cc

NODE = lambda t, **inputs: {"class_type": t, "inputs": inputs}  # noqa: E731

INVERT = {"1": NODE("LoadTensor"), "2": NODE("ImageInvert", image=["1", 0]),
          "3": NODE("SaveTensor", images=["2", 0])}
# The original's UI-style conversions: PrimaryInputLoadImage -> LoadTensor, PreviewImage -> SaveTensor.
UI_STYLE_INVERT = {"10": NODE("PrimaryInputLoadImage", image="example.png"),
                   "11": NODE("ImageInvert", image=["10", 0]),
                   "12": NODE("PreviewImage", images=["11", 0])}
LOADIMAGE_PASSTHROUGH = {"1": NODE("LoadImage", image="example.png"),
                         "2": NODE("SaveImage", images=["1", 0], filename_prefix="x")}
BROKEN = {"1": NODE("LoadTensor"), "2": NODE("ImageInvert", image=["7", 0]),
          "3": NODE("SaveTensor", images=["2", 0])}


def looks(viewer: cc.Viewer):
    """'inverted', 'plain' or None for the viewer's newest frame."""
    if not viewer.last_frames:
        return None
    got = cc.quadrant_colors(viewer.last_frames[-1])
    for name, inverted in (("inverted", True), ("plain", False)):
        if cc.colors_match(got, cc.expected_colors(cc.DEFAULT_COLORS, inverted), tolerance=30):
            return name
    return None


async def wait_looks(viewer: cc.Viewer, want: str, timeout: float = 15.0):
    await cc.wait_until(lambda: looks(viewer) == want, timeout,
                        lambda: f"viewer frames {want} (now {looks(viewer)}, {viewer.video_frames} frames)")


class ChannelPublisher:
    """A WHIP publisher that also opens the original's 'control' and 'data' data channels."""

    async def start(self, base_url: str, stream: str, workflow=None):
        self.pc = cc.make_peer_connection()
        self.control = self.pc.createDataChannel("control")
        self.data = self.pc.createDataChannel("data")
        self.replies: asyncio.Queue = asyncio.Queue()
        self.texts = []
        self.control.on("message", lambda m: self.replies.put_nowait(json.loads(m)))
        self.data.on("message", lambda m: self.texts.append(json.loads(m)))
        sdp = await cc.make_offer(self.pc, "sendonly", cc.PatternTrack(), cc.ToneTrack(), "H264")
        url = cc._endpoint(base_url, "/whip", {"streamId": stream, "workflow": workflow})
        self.response = await cc.post_sdp(url, sdp)
        assert self.response.status == 201, self.response
        self.location = cc._join(base_url, self.response.header("Location"))
        await self.pc.setRemoteDescription(RTCSessionDescription(self.response.text, "answer"))
        await cc.wait_until(lambda: self.control.readyState == "open", 10, "control channel open")
        return self

    async def ask(self, message: dict, timeout: float = 20.0) -> dict:
        self.control.send(json.dumps(message))
        return await asyncio.wait_for(self.replies.get(), timeout)

    async def close(self):
        await cc.http_request("DELETE", self.location)
        await self.pc.close()


async def post_prompt(server, stream: str, body) -> cc.HttpResponse:
    return await cc.http_request("POST", f"{server.url}/prompt?streamId={stream}",
                                 json.dumps(body).encode(), {"Content-Type": "application/json"})


@pytest.mark.timeout_s(120)
async def test_workflow_files_from_the_workspace(start_server, tmp_path):
    (tmp_path / "workflows").mkdir()
    (tmp_path / "workflows" / "ui-style.json").write_text(json.dumps(UI_STYLE_INVERT))
    (tmp_path / "workflows" / "loadimage.json").write_text(json.dumps(LOADIMAGE_PASSTHROUGH))
    (tmp_path / "workflows" / "two.json").write_text(json.dumps([INVERT, INVERT]))
    (tmp_path / "workflows" / "broken.json").write_text(json.dumps(BROKEN))
    server = start_server("--workspace", str(tmp_path))
    async with cc.Sessions() as s:
        for name, want in (("ui-style", "inverted"), ("loadimage", "plain"), ("two", "inverted")):
            s.add(await cc.whip_publish(server.url, name, workflow=name))
            viewer = s.add(await cc.whep_subscribe(server.url, name))
            await wait_looks(viewer, want)
            stats = await server.get_json(f"/stream/{name}/stats")
            assert stats["workflow"] == name and stats["frames_processed"] > 0

        # A workflow file that fails validation: 400 in ComfyUI's shape, naming node and input.
        with pytest.raises(cc.HttpError) as err:
            await cc.whip_publish(server.url, "b", workflow="broken")
        body = err.value.response.json()
        assert err.value.response.status == 400
        assert body["error"]["type"] == "prompt_outputs_failed_validation"
        assert body["node_errors"]["2"]["errors"][0]["extra_info"]["input_name"] == "image"
        # An unknown name is a plain 400.
        with pytest.raises(cc.HttpError) as err:
            await cc.whip_publish(server.url, "c", workflow="no-such-workflow")
        assert err.value.response.status == 400


@pytest.mark.timeout_s(120)
async def test_prompt_changes_the_output_without_reconnecting(server):
    async with cc.Sessions() as s:
        s.add(await cc.whip_publish(server.url, "live"))
        viewer = s.add(await cc.whep_subscribe(server.url, "live"))
        await wait_looks(viewer, "plain")

        r = await post_prompt(server, "live", INVERT)
        assert r.status == 200, r
        await wait_looks(viewer, "inverted")

        # A refused update names what is wrong; the running workflow keeps going.
        r = await post_prompt(server, "live", {"prompts": [BROKEN]})
        assert r.status == 400
        assert "node #2" in r.json()["error"]["message"] and "'image'" in r.json()["error"]["message"]
        r = await post_prompt(server, "live", {"1": NODE("LoadTensor"), "2": NODE("KSampler"),
                                               "3": NODE("SaveTensor", images=["1", 0])})
        assert r.status == 400 and r.json()["error"]["type"] == "invalid_prompt"
        assert "KSampler" in r.json()["error"]["message"]
        await viewer.wait_more_frames(30)
        assert looks(viewer) == "inverted"

        # A stream without a publisher keeps a valid workflow for its next publisher (issue 9),
        # and refuses a broken one as it would a live stream's.
        r = await post_prompt(server, "later", {"prompts": [BROKEN]})
        assert r.status == 400 and "node_errors" in r.json(), r
        r = await post_prompt(server, "later", INVERT)
        assert r.status == 200 and r.json()["applies"] == "next_publisher", r
        s.add(await cc.whip_publish(server.url, "later"))  # no ?workflow=: the staged one
        later = s.add(await cc.whep_subscribe(server.url, "later"))
        await wait_looks(later, "inverted")


@pytest.mark.timeout_s(120)
async def test_control_channel_drives_the_stream(server):
    pub = await ChannelPublisher().start(server.url, "dc")
    try:
        async with cc.Sessions() as s:
            viewer = s.add(await cc.whep_subscribe(server.url, "dc"))
            await wait_looks(viewer, "plain")

            nodes = await pub.ask({"type": "get_nodes"})
            assert nodes["type"] == "nodes_info"
            assert nodes["nodes"]["0"]["2"]["class_type"] == "LoadTensor"

            reply = await pub.ask({"type": "update_prompts", "prompts": [INVERT]})
            assert reply == {"type": "prompts_updated", "success": True}
            await wait_looks(viewer, "inverted")
            nodes = await pub.ask({"type": "get_nodes"})
            assert nodes["nodes"]["0"]["2"]["class_type"] == "ImageInvert"

            reply = await pub.ask({"type": "update_prompts", "prompts": [BROKEN]})
            assert reply["type"] == "prompts_updated" and reply["success"] is False
            assert "node #2" in reply["error"] and "'image'" in reply["error"]
            reply = await pub.ask({"type": "update_prompts"})
            assert reply == {"type": "prompts_updated", "success": False,
                             "error": "Missing 'prompts' in control message"}
            await viewer.wait_more_frames(20)
            assert looks(viewer) == "inverted"

            assert (await pub.ask({"type": "pause_prompts"}))["success"] is True
            await wait_looks(viewer, "plain")
            assert (await pub.ask({"type": "resume_prompts"}))["success"] is True
            await wait_looks(viewer, "inverted")

            reply = await pub.ask({"type": "update_resolution", "width": 640, "height": 480})
            assert reply == {"type": "resolution_updated", "success": True}
            reply = await pub.ask({"type": "update_resolution", "width": 640})
            assert reply["success"] is False and "width" in reply["error"]
            reply = await pub.ask({"type": "no_such_message"})
            assert reply["success"] is False

            assert (await pub.ask({"type": "stop_prompts"})) == {"type": "prompts_stopped",
                                                                  "success": True}
            await wait_looks(viewer, "plain")
    finally:
        await pub.close()


@pytest.mark.timeout_s(90)
async def test_text_outputs_reach_the_data_channel(server):
    text_workflow = {"1": NODE("LoadTensor"), "2": NODE("SaveTensor", images=["1", 0]),
                     "3": NODE("SaveTextTensor", data="hello\nfrom the workflow")}
    pub = await ChannelPublisher().start(server.url, "txt")
    try:
        reply = await pub.ask({"type": "update_prompts", "prompts": [text_workflow]})
        assert reply["success"] is True, reply
        await cc.wait_until(lambda: len(pub.texts) >= 3, 15, lambda: f"text messages ({pub.texts})")
        assert pub.texts[0] == {"type": "text", "data": "hello from the workflow"}
    finally:
        await pub.close()
