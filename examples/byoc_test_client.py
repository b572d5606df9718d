#!/usr/bin/python3
"""Drive comfystream's three BYOC capabilities with real aiortc peers.

    /usr/bin/python3 examples/byoc_test_client.py --url http://127.0.0.1:8889
    # through a Livepeer gateway or orchestrator (jobs carry the Livepeer header; session
    # endpoints and media go to the worker itself):
    /usr/bin/python3 examples/byoc_test_client.py --url http://gateway:9935 --livepeer \\
        --worker-url http://worker:8889

What it does, each step checked:

1. ``comfystream-video`` with an invert workflow: publishes a test pattern to the session's own
   ``whip_endpoint`` and watches its ``whep_endpoint`` until the frames come back inverted.
2. ``whip-ingest``: a real SDP offer in the job body, the answer from the job's result applied;
   the publisher connects.
3. ``whep-subscribe`` for the whip-ingest session's processed stream: frames arrive.
4. ``GET /byoc/session/{id}/status`` for each, ``GET /byoc-stats``, then ``DELETE
   /byoc/session/{id}`` for each.

Exit status 0 when every step worked. Use Debian's /usr/bin/python3 (python3-aiortc).
The functions are also what tests/integration/test_byoc_*.py use.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import sys
import urllib.parse
from pathlib import Path
from typing import Dict, Optional, Tuple

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))

import comfystream_client as cc  # noqa: E402
from aiortc import RTCSessionDescription  # noqa: E402

NODE = lambda t, **inputs: {"class_type": t, "inputs": inputs}  # noqa: E731
INVERT = {"1": NODE("LoadTensor"), "2": NODE("ImageInvert", image=["1", 0]),
          "3": NODE("SaveTensor", images=["2", 0])}

CAPABILITIES = ("comfystream-video", "whip-ingest", "whep-subscribe")


class ByocClient:
    """Jobs go to ``url`` (the worker itself, or a gateway/orchestrator with ``livepeer=True``);
    session endpoints and WHIP/WHEP go to ``worker_url`` (default: ``url``)."""

    def __init__(self, url: str, worker_url: Optional[str] = None, livepeer: bool = False,
                 token: Optional[str] = None, timeout_seconds: int = 30):
        self.url = url.rstrip("/")
        self.worker_url = (worker_url or url).rstrip("/")
        self.livepeer = livepeer
        self.token = token
        self.timeout_seconds = timeout_seconds

    def livepeer_header(self, capability: str) -> str:
        job = {"request": "{}", "parameters": "{}", "capability": capability,
               "timeout_seconds": self.timeout_seconds}
        return base64.b64encode(json.dumps(job).encode()).decode()

    async def job(self, capability: str, body) -> cc.HttpResponse:
        """POST /process/request/{capability}; returns the raw response (any status)."""
        headers = {"Content-Type": "application/json"}
        if self.livepeer:
            headers["Livepeer"] = self.livepeer_header(capability)
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return await cc.http_request("POST", f"{self.url}/process/request/{capability}", data,
                                     headers, timeout=self.timeout_seconds + 10)

    async def job_json(self, capability: str, body) -> dict:
        """A job that must succeed (200): its JSON answer."""
        r = await self.job(capability, body)
        if r.status != 200:
            raise cc.HttpError(r, expected=200)
        return r.json()

    def worker(self, path_or_url: str) -> str:
        """An endpoint from a result (relative to the worker unless absolute)."""
        return urllib.parse.urljoin(self.worker_url + "/", path_or_url)

    async def status(self, session_id: str) -> cc.HttpResponse:
        return await cc.http_request("GET", f"{self.worker_url}/byoc/session/{session_id}/status")

    async def delete(self, session_id: str) -> cc.HttpResponse:
        return await cc.http_request("DELETE", f"{self.worker_url}/byoc/session/{session_id}")

    async def stats(self) -> dict:
        headers = {"Authorization": "Bearer " + self.token} if self.token else None
        r = await cc.http_request("GET", f"{self.worker_url}/byoc-stats", headers=headers)
        if r.status != 200:
            raise cc.HttpError(r, expected=200)
        return r.json()


def _session_response(client: ByocClient, session_id: str, answer: str) -> cc.HttpResponse:
    """A stand-in WHIP/WHEP 201 for a BYOC job, so comfystream_client's Publisher/Viewer work:
    their close() DELETEs the BYOC session."""
    return cc.HttpResponse("POST", client.worker_url, 201, "Created",
                           [("Location", f"/byoc/session/{session_id}")], answer.encode())


async def whip_ingest(client: ByocClient, prompts=None, width: int = 512, height: int = 512,
                      track=None, codec: str = "H264") -> Tuple[cc.Publisher, dict]:
    """A whip-ingest job with a real offer; returns the connecting Publisher and the answer JSON."""
    pc = cc.make_peer_connection()
    vtrack = track or cc.PatternTrack()
    atrack = cc.ToneTrack()
    try:
        sdp = await cc.make_offer(pc, "sendonly", vtrack, atrack, codec, None)
        body: Dict = {"sdp_offer": sdp, "width": width, "height": height}
        if prompts is not None:
            body["prompts"] = prompts
        out = await client.job_json("whip-ingest", body)
        pub = cc.Publisher(pc, _session_response(client, out["session_id"], ""),
                           client.worker_url, vtrack, atrack)
    except BaseException:
        await pc.close()
        raise
    try:
        await pc.setRemoteDescription(RTCSessionDescription(out["result"]["sdp_answer"], "answer"))
    except BaseException:
        await pub.close()
        raise
    return pub, out


async def whep_subscribe(client: ByocClient, session_id: Optional[str] = None,
                         stream_id: Optional[str] = None) -> Tuple[cc.Viewer, dict]:
    """A whep-subscribe job with a real recvonly offer; returns the Viewer and the answer JSON."""
    pc = cc.make_peer_connection()
    try:
        sdp = await cc.make_offer(pc, "recvonly", True, True, None, None)
        body: Dict = {"sdp_offer": sdp}
        if session_id is not None:
            body["session_id"] = session_id
        if stream_id is not None:
            body["stream_id"] = stream_id
        out = await client.job_json("whep-subscribe", body)
        viewer = cc.Viewer(pc, _session_response(client, out["session_id"], ""),
                           client.worker_url)
        pc.on("track", lambda t: (viewer.tracks.append(t), viewer._attach(t)))
    except BaseException:
        await pc.close()
        raise
    try:
        await pc.setRemoteDescription(RTCSessionDescription(out["result"]["sdp_answer"], "answer"))
    except BaseException:
        await viewer.close()
        raise
    return viewer, out


def looks_inverted(viewer: cc.Viewer) -> bool:
    if not viewer.last_frames:
        return False
    got = cc.quadrant_colors(viewer.last_frames[-1])
    return cc.colors_match(got, cc.expected_colors(cc.DEFAULT_COLORS, True), tolerance=30)


async def run_all(client: ByocClient, log=print, frames: int = 30) -> None:
    """The whole tour (see the module docstring). Raises on the first failure."""
    async with cc.Sessions() as s:
        # 1. comfystream-video: its own WHIP and WHEP endpoints
        video = await client.job_json("comfystream-video",
                                      {"input": {"prompts": [INVERT], "width": 320, "height": 240}})
        vid = video["session_id"]
        log(f"comfystream-video: session {vid} {video['status']}, "
            f"whip {video['result']['whip_endpoint']}, whep {video['result']['whep_endpoint']}")
        whip_url = client.worker(video["result"]["whip_endpoint"])
        whep_url = client.worker(video["result"]["whep_endpoint"])
        pub = s.add(await cc.whip_publish(whip_url, None, path=""))
        await pub.wait_connected(15)
        viewer = s.add(await cc.whep_subscribe(whep_url, None, path=""))
        await cc.wait_until(lambda: looks_inverted(viewer), 30,
                            lambda: f"inverted frames on {whep_url} ({viewer.video_frames} frames)")
        log(f"comfystream-video: {viewer.video_frames} frames back, inverted by the workflow")

        # 2. whip-ingest, 3. whep-subscribe of its processed stream
        ingest, answer = await whip_ingest(client, prompts=[INVERT], width=320, height=240)
        s.add(ingest)
        await ingest.wait_connected(15)
        log(f"whip-ingest: session {answer['session_id']} {answer['status']}, "
            f"ice_servers {answer['result']['ice_servers']}")
        sub, sub_answer = await whep_subscribe(client, session_id=answer["session_id"])
        s.add(sub)
        await sub.wait_frames(frames, timeout=30)
        await cc.wait_until(lambda: looks_inverted(sub), 15, "inverted frames on whep-subscribe")
        log(f"whep-subscribe: session {sub_answer['session_id']}: {sub.video_frames} frames")

        # 4. session management (on the worker)
        for sid in (vid, answer["session_id"], sub_answer["session_id"]):
            r = await client.status(sid)
            if r.status != 200:
                raise cc.HttpError(r, expected=200)
            log(f"status {sid}: {r.json()['capability']} {r.json()['status']}")
        stats = await client.stats()
        log(f"byoc-stats: {len(stats)} session(s)")
        for sid in (sub_answer["session_id"], answer["session_id"], vid):
            r = await client.delete(sid)
            if r.status != 200 or r.json() != {"success": True, "message": "Session cleaned up"}:
                raise cc.HttpError(r, expected=200)
        log("sessions cleaned up")
        for item in s.items:  # their sessions are gone already: close the peers only
            await item.close(delete=False)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", default="http://127.0.0.1:8889",
                    help="where jobs go: the worker, or a gateway with --livepeer")
    ap.add_argument("--worker-url", help="the worker itself (session endpoints, WHIP/WHEP); "
                                         "default --url")
    ap.add_argument("--livepeer", action="store_true",
                    help="send the Livepeer header (jobs through a gateway or orchestrator)")
    ap.add_argument("--token", help="the worker's --worker-token (direct jobs)")
    ap.add_argument("--timeout", type=int, default=30, help="timeout_seconds of each job")
    ap.add_argument("--any-interface", action="store_true",
                    help="gather ICE candidates on every interface (default: 127.0.0.1 only)")
    args = ap.parse_args()
    if args.any_interface:  # every peer (also comfystream_client's own) gathers everywhere
        loopback_pc = cc.make_peer_connection
        cc.make_peer_connection = lambda loopback=True: loopback_pc(False)
    client = ByocClient(args.url, args.worker_url, args.livepeer, args.token, args.timeout)
    try:
        asyncio.run(asyncio.wait_for(run_all(client), 120))
    except Exception as e:  # one line, then the exit status
        print(f"byoc_test_client: FAILED: {e}", file=sys.stderr)
        return 1
    print("byoc_test_client: all three capabilities work")
    return 0


if __name__ == "__main__":
    sys.exit(main())
