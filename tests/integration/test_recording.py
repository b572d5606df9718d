"""Server-side recording (docs/RECORDING.md): real aiortc publishers, the real server, and the
files checked with GStreamer's own tools (gst-discoverer-1.0, gst-launch-1.0; Debian's
gstreamer1.0-tools and gstreamer1.0-plugins-base-apps)."""

import asyncio
import os
import re
import shutil
import subprocess
import urllib.parse
from pathlib import Path

import numpy as np
import pytest

import comfystream_client as cc
from byoc_support import stop_server
from conftest import _binary

FPS = 30


# ---- GStreamer's view of a file --------------------------------------------------------------

def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is missing: scripts/install-deps.sh --test installs it"
    return path


def discover(path: Path) -> dict:
    """gst-discoverer-1.0's report: container, video codec and size, audio codec, duration (s)."""
    r = subprocess.run([_tool("gst-discoverer-1.0"), str(path)], capture_output=True, text=True,
                       timeout=60)
    out = r.stdout + r.stderr
    assert r.returncode == 0 and "Done discovering" in out, out
    info = {"text": out}
    m = re.search(r"Duration: (\d+):(\d+):(\d+\.\d+)", out)
    info["duration"] = int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3]) if m else None
    m = re.search(r"container #\d+: (.+)", out)
    info["container"] = m[1].strip() if m else None
    m = re.search(r"video #\d+: (.+)", out)
    info["video"] = m[1].strip() if m else None
    m = re.search(r"audio #\d+: (.+)", out)
    info["audio"] = m[1].strip() if m else None
    m = re.search(r"Width: (\d+)\s+Height: (\d+)", out)
    info["size"] = (int(m[1]), int(m[2])) if m else None
    return info


def decode_video(path: Path, width: int, height: int, raw: Path):
    """Decodes the video track with GStreamer (matroskademux, avdec_h264) into RGB frames.
    Returns (presentation times in s, frames as an N x H x W x 3 array)."""
    cmd = [_tool("gst-launch-1.0"), "-v", "filesrc", f"location={path}", "!", "matroskademux",
           "!", "h264parse", "!", "avdec_h264", "!", "videoconvert", "!",
           f"video/x-raw,format=RGB,width={width},height={height}", "!", "identity", "name=tap",
           "silent=false", "!", "filesink", f"location={raw}"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, (r.stdout[-3000:], r.stderr[-3000:])
    pts = [int(h) * 3600 + int(m) * 60 + float(s) for h, m, s in
           re.findall(r"tap: last-message = chain.*?pts: (\d+):(\d+):(\d+\.\d+)", r.stdout)]
    frames = np.fromfile(raw, dtype=np.uint8).reshape(-1, height, width, 3)
    raw.unlink()
    return pts, frames


# ---- the recordings API ----------------------------------------------------------------------

def recordings_path(stream_id: str) -> str:
    return f"/streams/{urllib.parse.quote(stream_id, safe='')}/recordings"


async def api(server, method: str, path: str, token=None) -> cc.HttpResponse:
    return await cc.http_request(method, server.url + path, headers=cc.bearer(token))


async def list_recordings(server, stream_id: str) -> list:
    r = await api(server, "GET", recordings_path(stream_id))
    assert r.status == 200, r
    return r.json()["recordings"]


async def wait_status(server, stream_id: str, rec_id: str, pred, timeout: float, what: str) -> dict:
    """Polls GET on the recording until pred(status) holds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        r = await api(server, "GET", f"{recordings_path(stream_id)}/{rec_id}")
        assert r.status == 200, r
        st = r.json()
        if pred(st):
            return st
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"recording {rec_id}: {what}; last status {st}")
        await asyncio.sleep(0.1)


# ---- tests -----------------------------------------------------------------------------------

@pytest.mark.timeout_s(150)
async def test_a_publish_with_record_1_leaves_a_file_that_plays_what_viewers_saw(start_server,
                                                                                 tmp_path):
    rec_dir = tmp_path / "recordings"
    server = start_server("--record-dir", str(rec_dir))
    stream = "rec show/1"  # needs escaping in URLs and in the file name
    async with cc.Sessions() as s:
        pub = s.add(await cc.whip_publish(server.url, stream, workflow="invert", codec="H264",
                                          audio=True, params={"record": "1"}))
        recs = await list_recordings(server, stream)
        assert len(recs) == 1, recs
        rec = recs[0]
        assert rec["state"] == "recording" and rec["has_audio"] is True, rec
        assert rec["error"] is None, rec
        # A viewer of its stream like any other.
        assert cc.public_id(rec["id"]) in await server.whep_stats()
        await pub.wait_connected()
        await wait_status(server, stream, rec["id"], lambda st: st["frames_written"] > 0, 15,
                          "first frame written")
        # Ten seconds of publishing (the length of the recording, not a wait for a result).
        await asyncio.sleep(10)
        published_s = pub.video_track.frames_sent / FPS
        await pub.close()
        assert pub.delete_response.status == 200, pub.delete_response
        # The recording outlives its publisher (a new one may come); DELETE ends it.
        r = await api(server, "DELETE", f"{recordings_path(stream)}/{rec['id']}")
        assert r.status == 200, r
        final = r.json()

    assert final["state"] == "stopped" and final["error"] is None, final
    path = Path(final["path"])
    assert path.parent == rec_dir, final
    assert re.fullmatch(r"rec_show_1-\d{8}T\d{6}Z-" + final["id"][:8] + r"\.mkv", path.name), path
    assert final["bytes"] == path.stat().st_size > 0, final
    assert final["frames_dropped"] == 0, final
    assert abs(final["duration"] - published_s) < 1.0, (final, published_s)

    info = discover(path)
    assert info["container"] == "Matroska", info["text"]
    assert info["video"].startswith("H.264"), info["text"]
    assert info["size"] == (320, 240), info["text"]
    assert info["audio"] == "Opus", info["text"]
    assert abs(info["duration"] - published_s) < 1.0, (info["text"], published_s)

    pts, frames = decode_video(path, 320, 240, tmp_path / "frames.rgb")
    assert len(frames) == len(pts) == final["frames_written"], (len(frames), len(pts), final)
    assert pts[0] == 0.0 and abs(pts[-1] - published_s) < 1.0, (pts[:3], pts[-3:], published_s)
    # The workflow's output, not the input: every quadrant inverted, every barcode inverted.
    want = cc.expected_colors(cc.DEFAULT_COLORS, inverted=True)
    for rgb in (frames[len(frames) // 2], frames[-1]):
        got = cc.quadrant_colors(rgb)
        assert cc.colors_match(got, want, tolerance=30), (got, want)
    indices = [d[0] for d in (cc.decode_barcode(f, inverted=True) for f in frames) if d]
    assert len(indices) >= 0.9 * len(frames), (len(indices), len(frames))
    assert indices == sorted(indices), "frames out of order"
    # It started with the publisher: the first recorded frame is one of the first sent.
    assert indices[0] < FPS, indices[:5]


@pytest.mark.timeout_s(120)
async def test_a_recording_cut_by_sigkill_still_plays_to_within_2_s_of_the_kill(start_server,
                                                                                tmp_path):
    rec_dir = tmp_path / "recordings"
    server = start_server("--record-dir", str(rec_dir))
    pub = await cc.whip_publish(server.url, "crash", codec="H264", audio=True,
                                params={"record": "1"})
    try:
        await pub.wait_connected()
        rec = (await list_recordings(server, "crash"))[0]
        await wait_status(server, "crash", rec["id"], lambda st: st["duration"] >= 5, 30,
                          "5 s recorded")
        st = (await api(server, "GET", f"{recordings_path('crash')}/{rec['id']}")).json()
        stop_server(server, hard=True)  # SIGKILL: no EOS, no cues, no duration written
    finally:
        await pub.close(delete=False)

    path = Path(st["path"])
    info = discover(path)
    assert info["video"].startswith("H.264") and info["audio"] == "Opus", info["text"]
    pts, frames = decode_video(path, 320, 240, tmp_path / "frames.rgb")
    loss = st["duration"] - pts[-1]
    print(f"SIGKILL: {st['duration']:.3f} s handed to the muxer at the last status, "
          f"{pts[-1]:.3f} s decoded: {loss:.3f} s lost")
    assert loss < 2.0, (st, pts[-3:])
    assert cc.colors_match(cc.quadrant_colors(frames[-1]), cc.DEFAULT_COLORS), "last frame"


@pytest.fixture
def tiny_tmpfs(tmp_path):
    """A 192 KiB tmpfs: a disk that fills up within seconds of video. Needs the right to mount
    (root with CAP_SYS_ADMIN, as in the project's containers); skipped without it."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=192k,mode=0755", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({r.stderr.strip() or r.returncode}; uid "
                    f"{os.getuid()})")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


@pytest.mark.timeout_s(150)
async def test_a_full_disk_fails_that_recording_and_nothing_else(tiny_tmpfs, start_server):
    server = start_server("--record-dir", str(tiny_tmpfs))
    async with cc.Sessions() as s:
        pub = s.add(await cc.whip_publish(server.url, "full", codec="H264", audio=True,
                                          params={"record": "1"}))
        viewer = s.add(await cc.whep_subscribe(server.url, "full", codec="H264"))
        await viewer.wait_frames(30, timeout=20)
        rec = (await list_recordings(server, "full"))[0]
        failed = await wait_status(server, "full", rec["id"], lambda st: st["state"] != "recording",
                                   90, "the disk to fill up")
        assert failed["state"] == "failed", failed
        assert "No space left" in failed["error"], failed
        assert 0 < failed["bytes"] <= 192 * 1024, failed

        # The stream goes on: the viewer keeps getting frames, a new viewer can join.
        await viewer.wait_more_frames(60, timeout=15)
        assert not viewer.errors, viewer.errors
        late = s.add(await cc.whep_subscribe(server.url, "full", codec="H264"))
        await late.wait_frames(30, timeout=20)
        # The recorder (a viewer in /whep-stats while it ran) left the stream; its status stays.
        assert cc.public_id(rec["id"]) not in await server.whep_stats()
        again = (await api(server, "GET", f"{recordings_path('full')}/{rec['id']}")).json()
        assert again["state"] == "failed" and again["error"] == failed["error"], again
        # A new recording on the full disk: 500 with the reason.
        r = await api(server, "POST", recordings_path("full"))
        assert r.status == 500 and "No space left" in r.json()["error"], r
        r = await api(server, "GET", "/health")
        assert r.status == 200, r
        assert pub.connection_state == "connected"


@pytest.mark.timeout_s(90)
async def test_the_recordings_resource(start_server, tmp_path):
    tokens = tmp_path / "tokens"
    tokens.write_text("cam publish pubtok\ncam view viewtok\n")
    server = start_server("--record-dir", str(tmp_path / "rec"), "--auth-file", str(tokens),
                          "--admin-token", "admintok")
    base = recordings_path("cam")
    # Unknown stream: 404, for the stream's owner and the admin alike.
    assert (await api(server, "POST", base, "pubtok")).status == 404
    assert (await api(server, "GET", base, "admintok")).status == 404
    async with cc.Sessions() as s:
        pub = s.add(await cc.whip_publish(server.url, "cam", codec="H264", audio=False,
                                          token="pubtok"))
        await pub.wait_connected()
        # A recording writes to the server's disk: the publish token or the admin token.
        assert (await api(server, "POST", base)).status == 401
        assert (await api(server, "POST", base, "viewtok")).status in (401, 403)
        r1 = await api(server, "POST", base, "pubtok")
        assert r1.status == 201, r1
        one = r1.json()
        assert r1.header("Location") == f"{base}/{one['id']}", r1.headers
        assert set(one) >= {"id", "path", "started_at", "state", "bytes", "duration"}, one
        assert one["has_audio"] is False
        # A second recording of the same stream is allowed.
        r2 = await api(server, "POST", base, "admintok")
        assert r2.status == 201, r2
        two = r2.json()
        assert two["path"] != one["path"]
        listed = await cc.http_request("GET", server.url + base, headers=cc.bearer("pubtok"))
        assert sorted(x["id"] for x in listed.json()["recordings"]) == sorted(
            [one["id"], two["id"]])
        assert (await api(server, "GET", f"{base}/{'0' * 32}", "pubtok")).status == 404
        assert (await api(server, "GET", f"{recordings_path('other')}/{one['id']}",
                          "admintok")).status == 404
        await wait_status_token(server, base, one["id"], "pubtok",
                                lambda st: st["frames_written"] >= 30)
        r = await api(server, "DELETE", f"{base}/{one['id']}", "pubtok")
        assert r.status == 200 and r.json()["state"] == "stopped", r
        assert r.json()["bytes"] == Path(one["path"]).stat().st_size
        # Deleting again answers the final status again; the other one still records.
        again = await api(server, "DELETE", f"{base}/{one['id']}", "pubtok")
        assert again.status == 200 and again.json() == r.json(), again
        st = await api(server, "GET", f"{base}/{two['id']}", "pubtok")
        assert st.json()["state"] == "recording", st
    assert discover(Path(one["path"]))["video"].startswith("H.264")


async def wait_status_token(server, base: str, rec_id: str, token: str, pred,
                            timeout: float = 20) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        st = (await api(server, "GET", f"{base}/{rec_id}", token)).json()
        if pred(st):
            return st
        assert asyncio.get_running_loop().time() < deadline, st
        await asyncio.sleep(0.1)


@pytest.mark.timeout_s(60)
async def test_record_flag_records_every_publisher(start_server, tmp_path):
    rec_dir = tmp_path / "all"
    server = start_server("--record", "--record-dir", str(rec_dir))
    assert rec_dir.is_dir()  # created and checked at start-up
    async with cc.Sessions() as s:
        for stream in ("a", "b"):
            s.add(await cc.whip_publish(server.url, stream, codec="H264", audio=False))
        for stream in ("a", "b"):
            recs = await list_recordings(server, stream)
            assert len(recs) == 1 and recs[0]["state"] == "recording", recs
            assert Path(recs[0]["path"]).parent == rec_dir
            await wait_status(server, stream, recs[0]["id"], lambda st: st["frames_written"] > 0,
                              20, "first frame written")


async def test_an_unwritable_record_dir_stops_start_up_with_the_reason(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    cmd = [str(_binary()), "--record", "--record-dir", str(blocker / "rec")]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "--record-dir: cannot create the recording directory" in r.stderr, r.stderr
    assert "Not a directory" in r.stderr, r.stderr
