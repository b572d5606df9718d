"""Model nodes on the server: ONNX models from the workspace (ComfyUI layout) run on every frame.
The tiny models come from scripts/make_test_models.py (known weights)."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import comfystream_client as cc

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NODE = lambda t, **inputs: {"class_type": t, "inputs": inputs}  # noqa: E731

UPSCALE_INVERT = {"1": NODE("LoadTensor"),
                  "2": NODE("UpscaleModelLoader", model_name="invert_up2x.onnx"),
                  "3": NODE("ImageUpscaleWithModel", upscale_model=["2", 0], image=["1", 0]),
                  "4": NODE("SaveTensor", images=["3", 0])}
DEPTH = {"1": NODE("LoadTensor"),
         "2": NODE("DepthAnythingTensorrt", images=["1", 0], engine="tiny_depth.engine"),
         "3": NODE("SaveTensor", images=["2", 0])}


@pytest.fixture
def workspace(tmp_path):
    subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "scripts", "make_test_models.py"),
                    str(tmp_path)], check=True, capture_output=True)
    (tmp_path / "workflows").mkdir()
    (tmp_path / "workflows" / "upscale-invert.json").write_text(json.dumps(UPSCALE_INVERT))
    (tmp_path / "workflows" / "depth.json").write_text(json.dumps(DEPTH))
    return tmp_path


@pytest.mark.timeout_s(90)
async def test_onnx_upscale_model_doubles_and_inverts(start_server, workspace):
    server = start_server("--workspace", str(workspace))
    async with cc.Sessions() as s:
        s.add(await cc.whip_publish(server.url, "up", workflow="upscale-invert"))
        viewer = s.add(await cc.whep_subscribe(server.url, "up"))
        await cc.wait_until(lambda: (640, 480) in viewer.sizes and viewer.sizes[(640, 480)] >= 10, 20,
                            lambda: f"10 frames at 640x480 (sizes {dict(viewer.sizes)})")
        got = cc.quadrant_colors(viewer.last_rgb())
        assert cc.colors_match(got, cc.expected_colors(cc.DEFAULT_COLORS, True), tolerance=30), got


@pytest.mark.timeout_s(90)
async def test_depth_node_runs_on_its_onnx_sibling(start_server, workspace):
    server = start_server("--workspace", str(workspace))
    async with cc.Sessions() as s:
        s.add(await cc.whip_publish(server.url, "depth", workflow="depth"))
        viewer = s.add(await cc.whep_subscribe(server.url, "depth"))
        await viewer.wait_frames(20, timeout=20)
        rgb = viewer.last_rgb().astype(np.int32)
        # A depth map is grey: the three channels agree (to within compression).
        assert np.abs(rgb[..., 0] - rgb[..., 1]).mean() < 6 and np.abs(rgb[..., 1] - rgb[..., 2]).mean() < 6
        stats = await server.get_json("/stream/depth/stats")
        assert stats["frames_failed"] == 0 and stats["nodes"]["0"]["2"]["class_type"] == "DepthAnythingTensorrt"
    # A model that is not there: refused at publish time, naming the paths tried.
    (workspace / "workflows" / "missing.json").write_text(json.dumps(
        {**DEPTH, "2": NODE("DepthAnythingTensorrt", images=["1", 0], engine="nope.engine")}))
    with pytest.raises(cc.HttpError) as err:
        await cc.whip_publish(server.url, "m", workflow="missing")
    body = err.value.response.json()
    assert err.value.response.status == 400
    assert body["node_errors"]["2"]["errors"][0]["extra_info"]["input_name"] == "engine"
    assert "nope" in json.dumps(body)
