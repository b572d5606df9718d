"""Issue 9: the seeds' own examples work. ../shared/seeds/byoc-implementation.md's curl example
for comfystream-video and its whip-ingest request both carry text prompts,
``"prompts": [{"text": ..., "weight": 1.0}]``; they were answered 400. Text prompts are the
session's prompt text: kept with the session, shown in its status, and the default workflow runs.
The curl commands run verbatim with Debian's curl, only the host and port are the test server's."""

import asyncio
import json
import subprocess

import pytest

import comfystream_client as cc
from byoc_support import assert_json_error, direct_job, status_of


def curl(*args: str) -> tuple:
    """(status, body) of one curl run; the seed's commands plus -s and a status line."""
    out = subprocess.run(["curl", "-s", "-w", "\n%{http_code}", *args], capture_output=True,
                         text=True, timeout=30, check=True).stdout
    body, _, status = out.rpartition("\n")
    return int(status), body


@pytest.mark.timeout_s(120)
async def test_the_byoc_seed_curl_examples_verbatim(start_server, tmp_path):
    server = start_server("--state-dir", str(tmp_path / "state"))
    base = server.url  # the seed's http://localhost:8889
    loop = asyncio.get_running_loop()

    # "Test video processing capability", as the seed writes it.
    status, body = await loop.run_in_executor(None, lambda: curl(
        "-X", "POST", f"{base}/process/request/comfystream-video",
        "-H", "Content-Type: application/json",
        "-d", '''{
    "input": {
      "prompts": [{"text": "a beautiful sunset", "weight": 1.0}],
      "width": 512,
      "height": 512
    }
  }'''))
    assert status == 200, body
    out = json.loads(body)
    sid = out["session_id"]
    assert out["status"] == "ready" and out["result"]["pipeline_ready"] is True, out

    # "Check session status": the text is the session's prompt text.
    status, body = await loop.run_in_executor(
        None, lambda: curl(f"{base}/byoc/session/{sid}/status"))
    assert status == 200, body
    st = json.loads(body)
    assert st["text_prompts"] == [{"text": "a beautiful sunset", "weight": 1.0}], st
    assert st["prompt_text"] == "a beautiful sunset", st

    # "Get BYOC statistics"
    status, body = await loop.run_in_executor(None, lambda: curl(f"{base}/byoc-stats"))
    assert status == 200 and sid in json.loads(body), body

    # ... and the default workflow runs: frames come out of the session's WHEP endpoint as
    # they went in.
    async with cc.Sessions() as s:
        s.add(await cc.whip_publish(base + out["result"]["whip_endpoint"], None, audio=False,
                                    path=""))
        viewer = s.add(await cc.whep_subscribe(base + out["result"]["whep_endpoint"], None,
                                               path=""))
        await viewer.wait_frames(10, timeout=20)
        await cc.wait_until(lambda: cc.colors_match(
            cc.quadrant_colors(viewer.last_frames[-1]),
            cc.expected_colors(cc.DEFAULT_COLORS, False), tolerance=30), 15,
            "untouched frames from the default workflow")


@pytest.mark.timeout_s(120)
async def test_whip_ingest_with_the_seeds_text_prompts(start_server, tmp_path):
    server = start_server("--state-dir", str(tmp_path / "state"))
    async with cc.Sessions() as s:
        pc = cc.make_peer_connection(True)
        track = cc.PatternTrack()
        offer = await cc.make_offer(pc, "sendonly", track, False, "H264", None)
        # the seed's whip-ingest request, with a real offer in place of "SDP_offer_string"
        r = await direct_job(server, "whip-ingest", {
            "sdp_offer": offer,
            "prompts": [{"text": "processing prompt", "weight": 1.0},
                        {"text": "soft light", "weight": 0.5}],
            "width": 512, "height": 512})
        assert r.status == 200, r
        out = r.json()
        assert out["status"] == "connected", out
        await pc.setRemoteDescription(cc.RTCSessionDescription(sdp=out["result"]["sdp_answer"],
                                                               type="answer"))
        try:
            st = (await status_of(server, out["session_id"])).json()
            assert st["prompt_text"] == "processing prompt, (soft light:0.5)", st
            # the session's stream is named after its public id (test_byoc_jobs.byoc_stream)
            viewer = s.add(await cc.whep_subscribe(
                server.url, "byoc-" + cc.public_id(out["session_id"])))
            await viewer.wait_frames(10, timeout=20)
        finally:
            await pc.close()

        # A text prompt past its bounds is refused by name.
        r = await direct_job(server, "whip-ingest", {"sdp_offer": offer,
                                                     "prompts": [{"text": "", "weight": 1.0}]})
        assert_json_error(r, 400, "prompts[].text")
        r = await direct_job(server, "comfystream-video",
                             {"input": {"prompts": [{"text": "x", "weight": 1e9}]}})
        assert_json_error(r, 400, "weight")
