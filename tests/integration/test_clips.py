"""Clips: workflows run over uploaded video files (docs/CLIPS.md), through POST /clips and
through the BYOC `comfystream-video` job's `media_data`.

Clips are made with GStreamer (gst-launch-1.0) and results read back with PyAV: every frame is
kept (count and duration), the workflow is applied (invert: white in, black out), audio is kept.
"""

import asyncio
import base64
import json
import socket
import subprocess
import time
from pathlib import Path

import av
import pytest

import comfystream_client as cc


def make_clip(path: Path, seconds: int = 5, width: int = 320, height: int = 240,
              container: str = "mp4", audio: bool = True) -> Path:
    frames = seconds * 30
    video = (f"videotestsrc pattern=white num-buffers={frames} ! "
             f"video/x-raw,width={width},height={height},framerate=30/1 ! ")
    if container == "mp4":
        video += "x264enc speed-preset=ultrafast ! h264parse ! mp4mux name=m ! "
        audio_enc = "avenc_aac"
    else:
        video += "vp8enc deadline=1 ! webmmux name=m ! "
        audio_enc = "vorbisenc"
    desc = video + f"filesink location={path}"
    if audio:
        desc += (f" audiotestsrc num-buffers={seconds * 48000 // 1024} samplesperbuffer=1024 ! "
                 f"audio/x-raw,rate=48000,channels=2 ! audioconvert ! {audio_enc} ! m.")
    subprocess.run(["gst-launch-1.0", "-q"] + desc.split(), check=True, timeout=120)
    return path


def contents(path: Path) -> dict:
    """Frame count, first and last frame times, first frame's mean luma, audio frames."""
    out = {"frames": 0, "first": None, "end": None, "luma": None, "audio_frames": 0}
    with av.open(str(path)) as f:
        for frame in f.decode(video=0):
            if out["frames"] == 0:
                out["first"] = frame.time
                out["luma"] = float(frame.to_ndarray(format="gray").mean())
                out["size"] = (frame.width, frame.height)
            out["frames"] += 1
            out["end"] = frame.time
    with av.open(str(path)) as f:
        if f.streams.audio:
            out["audio_frames"] = sum(1 for _ in f.decode(audio=0))
    return out


def post_clip(server, body: bytes, content_type: str, query: str = "?workflow=invert"):
    return cc.http_request_sync("POST", server.url + "/clips" + query, body,
                                {"Content-Type": content_type}, timeout=60)


def wait_final(server, location: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        r = cc.http_request_sync("GET", server.url + location)
        assert r.status == 200, r
        status = r.json()
        if status["status"] in ("completed", "failed", "cancelled"):
            return status
        assert time.monotonic() < deadline, f"clip still {status} after {timeout} s"
        time.sleep(0.05)


def fetch_result(server, url: str, to: Path) -> Path:
    r = cc.http_request_sync("GET", server.url + url, timeout=60)
    assert r.status == 200, r
    assert r.header("Content-Type") == "video/mp4"
    to.write_bytes(r.body)
    return to


def assert_inverted_copy(src: dict, out: dict, audio: bool = True):
    assert out["frames"] == src["frames"], (src, out)
    assert out["first"] == pytest.approx(src["first"], abs=1e-3), (src, out)
    assert out["end"] == pytest.approx(src["end"], abs=1e-3), (src, out)
    assert src["luma"] > 200 and out["luma"] < 40, (src, out)
    if audio:
        assert out["audio_frames"] > 0, out


def clip_files(clip_dir: Path):
    return sorted(p.name for p in clip_dir.iterdir()) if clip_dir.exists() else []


@pytest.fixture
def clip_server(start_server, tmp_path):
    def _start(*args):
        s = start_server("--clip-dir", str(tmp_path / "clips"), "--state-dir",
                         str(tmp_path / "state"), *args)
        s.clip_dir = tmp_path / "clips"
        return s
    return _start


def test_raw_mp4_upload_is_inverted_frame_for_frame_with_audio(clip_server, tmp_path):
    server = clip_server()
    clip = make_clip(tmp_path / "in.mp4")
    r = post_clip(server, clip.read_bytes(), "video/mp4")
    assert r.status == 202, r
    body = r.json()
    assert body["status"] in ("queued", "processing"), body
    location = r.header("Location")
    assert location == f"/clips/{body['id']}"
    status = wait_final(server, location)
    assert status["status"] == "completed", status
    assert status["frames_done"] == 150 and status["frames_total"] == 150, status
    assert status["has_audio"] and status["width"] == 320 and status["height"] == 240, status
    assert status["fps"] > 0
    out = fetch_result(server, status["result"], tmp_path / "out.mp4")
    assert_inverted_copy(contents(clip), contents(out))


def test_json_media_data_and_webm(clip_server, tmp_path):
    server = clip_server()
    clip = make_clip(tmp_path / "in.webm", seconds=2, container="webm")
    body = json.dumps({"media_data": base64.b64encode(clip.read_bytes()).decode(),
                       "workflow": "invert"}).encode()
    r = post_clip(server, body, "application/json", query="")
    assert r.status == 202, r
    status = wait_final(server, r.header("Location"))
    assert status["status"] == "completed", status
    out = fetch_result(server, status["result"], tmp_path / "out.mp4")
    assert_inverted_copy(contents(clip), contents(out))


def test_garbage_and_truncated_clips_fail_with_a_reason(clip_server, tmp_path):
    server = clip_server()
    whole = make_clip(tmp_path / "whole.mp4", seconds=2).read_bytes()
    for name, data in (("garbage", bytes(range(256)) * 800), ("truncated", whole[:len(whole) // 2])):
        r = post_clip(server, data, "video/mp4")
        assert r.status == 202, (name, r)
        status = wait_final(server, r.header("Location"), timeout=20)
        assert status["status"] == "failed", (name, status)
        assert status["error"], (name, status)
        if name == "garbage":  # typefind's own reason (a truncated MP4: see docs/CLIPS.md)
            assert "no video frame could be decoded" not in status["error"], status
        r = cc.http_request_sync("GET", server.url + r.header("Location") + "/result")
        assert r.status == 409, (name, r)


def test_unknown_workflow_and_wrong_type_are_refused_before_any_job(clip_server, tmp_path):
    server = clip_server()
    assert post_clip(server, b"x" * 100, "video/mp4", "?workflow=nope").status == 400
    assert post_clip(server, b"x" * 100, "video/mp4", "").status == 400
    assert post_clip(server, b"x" * 100, "text/plain").status == 415
    assert clip_files(server.clip_dir) == []


def _raw_request(port: int, head: str, chunks=(), read_timeout: float = 10.0):
    """Sends a request head and then chunks (each sent only while no answer has come); returns
    (status line, bytes of body sent before the answer)."""
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=read_timeout) as s:
        s.sendall(head.encode())
        s.setblocking(False)
        answer = b""
        for chunk in chunks:
            try:
                answer += s.recv(4096)
            except BlockingIOError:
                pass
            if answer:
                break
            try:
                s.sendall(chunk)
                sent += len(chunk)
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                break
        s.setblocking(True)
        s.settimeout(read_timeout)
        try:
            while b"\r\n" not in answer:
                data = s.recv(4096)
                if not data:
                    break
                answer += data
        except (ConnectionResetError, socket.timeout):
            pass
    return answer.split(b"\r\n", 1)[0].decode(), sent


def test_oversized_uploads_get_413_before_they_are_stored(clip_server):
    server = clip_server("--max-clip-bytes", "1")
    # A declared length past the cap: refused from the head alone, before any body byte.
    line, _ = _raw_request(server.port, "POST /clips?workflow=invert HTTP/1.1\r\nHost: x\r\n"
                           "Content-Type: video/mp4\r\nContent-Length: 10485760\r\n\r\n")
    assert " 413 " in line, line
    # A chunked body: refused as soon as it passes the cap, not after it has all been sent.
    chunk = b"10000\r\n" + b"\0" * 0x10000 + b"\r\n"  # 64 KiB per chunk, 8 MiB offered
    line, sent = _raw_request(server.port, "POST /clips?workflow=invert HTTP/1.1\r\nHost: x\r\n"
                              "Content-Type: video/mp4\r\nTransfer-Encoding: chunked\r\n\r\n",
                              [chunk] * 128)
    assert " 413 " in line, line
    assert sent < 8 * 1024 * 1024, sent
    assert clip_files(server.clip_dir) == [], "nothing of a refused upload is kept"


def test_an_upload_without_the_token_is_refused_before_any_of_it_is_stored(clip_server):
    server = clip_server("--admin-token", "clip-secret")
    chunk = b"10000\r\n" + b"\0" * 0x10000 + b"\r\n"  # 64 KiB per chunk, 8 MiB offered
    head = ("POST /clips?workflow=invert HTTP/1.1\r\nHost: x\r\nContent-Type: video/mp4\r\n"
            "Transfer-Encoding: chunked\r\n{auth}\r\n")
    # The route's token check runs on the head: 401 before the body is read or written to disk.
    line, sent = _raw_request(server.port, head.format(auth=""), [chunk] * 128)
    assert " 401 " in line, line
    assert sent < 8 * 1024 * 1024, sent
    line, _ = _raw_request(server.port, head.format(auth="Authorization: Bearer wrong\r\n"),
                           [chunk] * 128)
    assert " 403 " in line or " 401 " in line, line
    assert clip_files(server.clip_dir) == [], "nothing of a refused upload is kept"
    # With the token the same upload is read (and, being zeros, accepted as a job that fails).
    line, _ = _raw_request(server.port,
                           head.format(auth="Authorization: Bearer clip-secret\r\n"),
                           [chunk] * 4 + [b"0\r\n\r\n"])
    assert " 202 " in line, line


def test_cancel_frees_the_job_and_a_full_queue_is_503(clip_server, tmp_path):
    server = clip_server("--max-clip-jobs", "1", "--max-clip-queue", "0")
    clip = make_clip(tmp_path / "long.mp4", seconds=60, width=640, height=360, audio=False)
    r = post_clip(server, clip.read_bytes(), "video/mp4")
    assert r.status == 202, r
    location = r.header("Location")
    deadline = time.monotonic() + 30
    while cc.http_request_sync("GET", server.url + location).json()["frames_done"] == 0:
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.05)
    busy = post_clip(server, b"x" * 1000, "video/mp4")
    assert busy.status == 503 and busy.header("Retry-After"), busy

    d = cc.http_request_sync("DELETE", server.url + location)
    assert d.status == 200, d
    assert d.json()["status"] == "cancelled", d.json()
    assert cc.http_request_sync("GET", server.url + location).status == 404
    deadline = time.monotonic() + 10
    while clip_files(server.clip_dir):
        assert time.monotonic() < deadline, clip_files(server.clip_dir)
        time.sleep(0.05)
    # The slot is free again.
    small = make_clip(tmp_path / "small.mp4", seconds=1, audio=False)
    r = post_clip(server, small.read_bytes(), "video/mp4")
    assert r.status == 202, r
    assert wait_final(server, r.header("Location"))["status"] == "completed"


# ---- BYOC: comfystream-video with media_data ----------------------------------------------------

NODE = lambda t, **inputs: {"class_type": t, "inputs": inputs}  # noqa: E731
INVERT = {"1": NODE("LoadTensor"), "2": NODE("ImageInvert", image=["1", 0]),
          "3": NODE("SaveTensor", images=["2", 0])}


def byoc_video_job(server, clip: Path):
    body = {"input": {"prompts": [INVERT], "width": 320, "height": 240,
                      "media_data": base64.b64encode(clip.read_bytes()).decode()}}
    return cc.http_request_sync("POST", server.url + "/process/request/comfystream-video",
                                json.dumps(body).encode(), {"Content-Type": "application/json"},
                                timeout=60)


def byoc_status(server, sid: str) -> dict:
    r = cc.http_request_sync("GET", f"{server.url}/byoc/session/{sid}/status")
    assert r.status == 200, r
    return r.json()


def test_byoc_media_data_is_processed_and_fetched(start_server, tmp_path):
    server = start_server("--state-dir", str(tmp_path / "state"))
    clip = make_clip(tmp_path / "in.mp4")
    r = byoc_video_job(server, clip)
    assert r.status == 200, r
    out = r.json()
    sid = out["session_id"]
    assert out["status"] == "processing", out
    seen = set()
    deadline = time.monotonic() + 90
    while True:
        st = byoc_status(server, sid)
        seen.add(st["status"])
        if st["status"] in ("completed", "failed"):
            break
        assert "progress" in st and st["progress"]["frames_total"] in (0, 150), st
        assert time.monotonic() < deadline, st
        time.sleep(0.05)
    assert st["status"] == "completed", st
    assert seen <= {"processing", "completed"}, seen
    assert st["result"]["result_url"] == f"/byoc/session/{sid}/result", st
    assert st["result"]["frames"] == 150 and st["result"]["has_audio"], st
    result = fetch_result(server, st["result"]["result_url"], tmp_path / "out.mp4")
    assert_inverted_copy(contents(clip), contents(result))

    # Garbage through the same job fails with the decoder's reason.
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(bytes(range(256)) * 400)
    r = byoc_video_job(server, garbage)
    assert r.status == 200, r
    sid = r.json()["session_id"]
    deadline = time.monotonic() + 20
    while (st := byoc_status(server, sid))["status"] == "processing":
        assert time.monotonic() < deadline, st
        time.sleep(0.05)
    assert st["status"] == "failed" and st["error"].startswith("clip failed: "), st
    assert cc.http_request_sync("GET", f"{server.url}/byoc/session/{sid}/result").status == 409


def test_byoc_clip_session_after_a_restart_is_failed_interrupted(start_server, tmp_path):
    from byoc_support import stop_server
    args = ("--state-dir", str(tmp_path / "state"))
    server = start_server(*args)
    clip = make_clip(tmp_path / "long.mp4", seconds=60, width=640, height=360, audio=False)
    r = byoc_video_job(server, clip)
    assert r.status == 200, r
    sid = r.json()["session_id"]
    deadline = time.monotonic() + 30
    while byoc_status(server, sid).get("progress", {}).get("frames_done", 0) == 0:
        assert time.monotonic() < deadline, byoc_status(server, sid)
        time.sleep(0.05)
    stop_server(server, hard=True)

    again = start_server(*args)
    st = byoc_status(again, sid)
    assert st["status"] == "failed", st
    assert st["error"] == "interrupted by restart", st
    assert not [p for p in (tmp_path / "state" / "clips").iterdir()
                if p.suffix in (".in", ".mp4", ".part")], "the previous run's files are removed"


# ---- Isolation: a clip job never makes a live stream drop frames ---------------------------------

WINDOW = 150  # frames received per measured window (5 s of the 30 fps pattern)


async def _window(server, pub_id: str) -> dict:
    """Counts of the live stream's publisher over the next WINDOW received frames."""
    start = (await server.whip_stats())[pub_id]
    deadline = time.monotonic() + 60
    while True:
        now = (await server.whip_stats())[pub_id]
        if now["frames_received"] >= start["frames_received"] + WINDOW:
            return {k: now[k] - start[k]
                    for k in ("frames_received", "frames_processed", "frames_dropped")}
        assert time.monotonic() < deadline, now
        await asyncio.sleep(0.05)


@pytest.mark.timeout_s(240)
async def test_a_live_stream_drops_no_more_frames_while_a_clip_job_runs(clip_server, tmp_path):
    server = clip_server()
    loop = asyncio.get_running_loop()
    # Long enough to outlast the measured window however fast the machine is (several hundred
    # fps here): 3600 frames.
    clip = await loop.run_in_executor(None, lambda: make_clip(
        tmp_path / "long.mp4", seconds=120, width=640, height=360, audio=False))
    async with cc.Sessions() as s:
        pub = s.add(await cc.whip_publish(server.url, "live", workflow="invert", codec="H264",
                                          track=cc.PatternTrack()))
        await pub.wait_connected()
        deadline = time.monotonic() + 30
        while (await server.whip_stats()).get(pub.public_id, {}).get("frames_processed", 0) < 30:
            assert time.monotonic() < deadline, "the live stream never got going"
            await asyncio.sleep(0.05)

        alone = await _window(server, pub.public_id)

        r = await loop.run_in_executor(None, lambda: post_clip(server, clip.read_bytes(),
                                                                "video/mp4"))
        assert r.status == 202, r
        location = r.header("Location")
        deadline = time.monotonic() + 30
        while (await server.get_json(location))["frames_done"] == 0:
            assert time.monotonic() < deadline, "the clip job never started"
            await asyncio.sleep(0.05)
        with_clip = await _window(server, pub.public_id)
        clip_status = await server.get_json(location)
        assert clip_status["status"] == "processing", \
            f"the clip job ended before the window did: {clip_status}"
        assert clip_status["frames_done"] > 0, clip_status

        print(f"live stream over {WINDOW} frames: alone {alone}, with a clip job {with_clip}, "
              f"clip at {clip_status['fps']:.1f} fps")
        # The same frames reach the workflow, and no more are dropped than without the clip job
        # (a frame or two of slack: drops of the live path itself are not all deterministic).
        slack = max(2, WINDOW // 50)
        assert with_clip["frames_dropped"] <= alone["frames_dropped"] + slack, (alone, with_clip)
        assert with_clip["frames_processed"] >= alone["frames_processed"] - slack, (alone, with_clip)
        d = cc.http_request_sync("DELETE", server.url + location)
        assert d.status == 200, d
