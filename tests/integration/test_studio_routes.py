"""The routes the web studio needs (docs/API.md, Workflows and Recordings): the workflow library
(GET /workflows, GET /workflows/{name}), validation without side effects (POST
/workflows/validate) and a recording's file served from disk with byte ranges, all against the
real server with real aiortc peers on 127.0.0.1."""

import asyncio
import json
from pathlib import Path

import pytest

import comfystream_client as cc
from test_recording import discover, recordings_path, wait_status_token
from test_workflows import INVERT, NODE, looks, wait_looks

BLUR = {"1": NODE("LoadTensor"),
        "2": NODE("ImageBlur", image=["1", 0], blur_radius=3, sigma=1.5),
        "3": NODE("SaveTensor", images=["2", 0])}


async def api(server, method: str, path: str, token=None, body=None) -> cc.HttpResponse:
    headers = cc.bearer(token)
    if body is not None:
        headers["Content-Type"] = "application/json"
        body = json.dumps(body).encode()
    return await cc.http_request(method, server.url + path, body, headers)


async def poll_stats(server, stream: str, pred, what: str, timeout: float = 15.0) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        st = await server.get_json(f"/stream/{stream}/stats")
        if pred(st):
            return st
        assert asyncio.get_running_loop().time() < deadline, f"{what}: {st}"
        await asyncio.sleep(0.1)


# ---- the workflow library --------------------------------------------------------------------

@pytest.mark.timeout_s(60)
async def test_the_library_lists_what_whip_accepts_and_shows_it(start_server, tmp_path):
    flows = tmp_path / "workflows"
    flows.mkdir()
    (flows / "x.json").write_text(json.dumps(BLUR))
    (flows / "invert.json").write_text(json.dumps(INVERT))  # shadows the built-in of its name
    (flows / "bad name!.json").write_text("{}")  # ?workflow= would refuse the name: not listed
    (flows / "notes.txt").write_text("not a workflow")
    (flows / "dir.json").mkdir()
    server = start_server("--workspace", str(tmp_path))

    for prefix in ("", "/live"):
        r = await api(server, "GET", f"{prefix}/workflows")
        assert r.status == 200, r
        assert r.header("Content-Type") == "application/json"
        assert r.json()["workflows"] == [
            {"name": "invert", "source": "workspace"},
            {"name": "passthrough", "source": "builtin"},
            {"name": "x", "source": "workspace"},
        ], r.json()

    r = await api(server, "GET", "/workflows/x")
    assert r.status == 200 and r.json() == BLUR, r
    # A built-in is a JSON graph like any file: LoadTensor -> SaveTensor.
    r = await api(server, "GET", "/live/workflows/passthrough")
    assert r.status == 200, r
    assert sorted(n["class_type"] for n in r.json().values()) == ["LoadTensor", "SaveTensor"]
    for missing in ("nope", "bad%20name%21", "notes", "dir"):
        r = await api(server, "GET", f"/workflows/{missing}")
        assert r.status == 404 and "error" in r.json(), r

    # Every listed name is one WHIP's ?workflow= takes.
    async with cc.Sessions() as s:
        for name in ("x", "invert", "passthrough"):
            s.add(await cc.whip_publish(server.url, f"s-{name}", workflow=name, audio=False))
            stats = await server.get_json(f"/stream/s-{name}/stats")
            assert stats["workflow"] == name, stats


@pytest.mark.timeout_s(60)
async def test_a_workflow_file_over_the_size_cap_is_refused(start_server, tmp_path):
    flows = tmp_path / "workflows"
    flows.mkdir()
    big = flows / "big.json"
    with open(big, "wb") as f:  # sparse: 16 MiB + 1 byte without writing them
        f.truncate((16 << 20) + 1)
    server = start_server("--workspace", str(tmp_path))
    r = await api(server, "GET", "/workflows")
    assert [w["name"] for w in r.json()["workflows"]] == ["invert", "passthrough"], r
    r = await api(server, "GET", "/workflows/big")
    assert r.status == 400 and "16 MiB" in r.json()["error"], r


# ---- validation ------------------------------------------------------------------------------

@pytest.mark.timeout_s(60)
async def test_validate_answers_the_nodes_a_control_panel_draws(server):
    for body in (BLUR, [BLUR], {"prompts": BLUR}, {"prompts": [BLUR, INVERT]}):
        r = await api(server, "POST", "/workflows/validate", body=body)
        assert r.status == 200, r
        got = r.json()
        assert got["valid"] is True
        assert got["prompts"] == (2 if isinstance(body, dict) and isinstance(
            body.get("prompts"), list) and len(body["prompts"]) == 2 else 1)
        blur = got["nodes"]["0"]["2"]
        assert blur["class_type"] == "ImageBlur"
        assert blur["inputs"]["blur_radius"] == {"value": 3, "type": "INT", "min": 1, "max": 31,
                                                 "widget": None}, blur
        assert blur["inputs"]["sigma"]["value"] == 1.5 and blur["inputs"]["sigma"]["type"] == \
            "FLOAT"
        assert "image" not in blur["inputs"]  # a link, not a widget
    # Under /live as well, and the original's UI-style names are converted as /prompt does.
    r = await api(server, "POST", "/live/workflows/validate",
                  body={"1": NODE("PrimaryInputLoadImage", image="x.png"),
                        "2": NODE("PreviewImage", images=["1", 0])})
    assert r.status == 200, r
    assert sorted(n["class_type"] for n in r.json()["nodes"]["0"].values()) == [
        "LoadTensor", "SaveTensor"], r.json()


@pytest.mark.timeout_s(60)
async def test_validate_refuses_as_prompt_does(server):
    wrong = json.loads(json.dumps(BLUR))
    wrong["2"]["inputs"]["blur_radius"] = 100
    r = await api(server, "POST", "/workflows/validate", body={"prompts": [wrong]})
    assert r.status == 400, r
    body = r.json()
    assert body["error"]["type"] == "prompt_outputs_failed_validation", body
    errors = body["node_errors"]["2"]["errors"]
    assert errors[0]["extra_info"]["input_name"] == "blur_radius", body
    # The same body to /prompt gets the same answer.
    same = await api(server, "POST", "/prompt?streamId=nobody", body={"prompts": [wrong]})
    assert same.status == 400 and same.json() == body, same
    # Not JSON, or an unknown node type: 400 too.
    r = await cc.http_request("POST", server.url + "/workflows/validate", b"{not json",
                              {"Content-Type": "application/json"})
    assert r.status == 400, r
    r = await api(server, "POST", "/workflows/validate",
                  body={"1": NODE("LoadTensor"), "2": NODE("NoSuchNode", image=["1", 0]),
                        "3": NODE("SaveTensor", images=["2", 0])})
    assert r.status == 400 and "NoSuchNode" in r.text, r


@pytest.mark.timeout_s(90)
async def test_validate_has_no_side_effect(server):
    async with cc.Sessions() as s:
        s.add(await cc.whip_publish(server.url, "live", audio=False))
        viewer = s.add(await cc.whep_subscribe(server.url, "live"))
        await wait_looks(viewer, "plain")
        before = await server.get_json("/stream/live/stats")
        r = await api(server, "POST", "/workflows/validate?streamId=live", body=INVERT)
        assert r.status == 200, r
        # Frames decoded after the answer are still unprocessed, and the stream's workflow is
        # the one it had.
        await viewer.wait_more_frames(30)
        assert looks(viewer) == "plain"
        after = await server.get_json("/stream/live/stats")
        assert after["workflow"] == before["workflow"], (before, after)
        # The publisher's decoded frame rate, next to the processed one (the last 1 s sample).
        assert isinstance(after["input_fps"], (int, float)), after
        await poll_stats(server, "live", lambda st: st["input_fps"] > 0, "input_fps > 0")

        # Nothing is staged for a stream that has no publisher yet either.
        r = await api(server, "POST", "/workflows/validate?streamId=later", body=INVERT)
        assert r.status == 200, r
        s.add(await cc.whip_publish(server.url, "later", audio=False))
        later = s.add(await cc.whep_subscribe(server.url, "later"))
        await wait_looks(later, "plain")
        assert (await server.get_json("/stream/later/stats"))["workflow"] == before["workflow"]


@pytest.mark.timeout_s(60)
async def test_the_library_and_validation_need_the_tokens_prompt_needs(start_server, tmp_path):
    tokens = tmp_path / "tokens"
    tokens.write_text("cam publish pubtok\ncam view viewtok\n")
    server = start_server("--auth-file", str(tokens), "--admin-token", "admintok")
    for path in ("/workflows", "/workflows/invert"):
        assert (await api(server, "GET", path)).status == 401
        assert (await api(server, "GET", path, "viewtok")).status == 401
        assert (await api(server, "GET", path, "wrong")).status == 401
        for token in ("pubtok", "admintok"):
            assert (await api(server, "GET", path, token)).status == 200
    validate = "/workflows/validate?streamId=cam"
    assert (await api(server, "POST", validate, body=INVERT)).status == 401
    assert (await api(server, "POST", validate, "viewtok", INVERT)).status == 401
    assert (await api(server, "POST", "/workflows/validate?streamId=other", "pubtok",
                      INVERT)).status == 401
    for token in ("pubtok", "admintok"):
        assert (await api(server, "POST", validate, token, INVERT)).status == 200
    # Without stream tokens, the admin token (as /prompt).
    admin_only = start_server("--admin-token", "admintok")
    assert (await api(admin_only, "GET", "/workflows")).status == 401
    assert (await api(admin_only, "POST", "/workflows/validate", body=INVERT)).status == 401
    assert (await api(admin_only, "GET", "/workflows", "admintok")).status == 200
    assert (await api(admin_only, "POST", "/workflows/validate", "admintok", INVERT)).status == 200


# ---- a recording's file ----------------------------------------------------------------------

EBML_MAGIC = b"\x1a\x45\xdf\xa3"


@pytest.mark.timeout_s(120)
async def test_a_recordings_file_is_served_with_byte_ranges(start_server, tmp_path):
    tokens = tmp_path / "tokens"
    tokens.write_text("cam publish pubtok\ncam view viewtok\n")
    server = start_server("--record-dir", str(tmp_path / "rec"), "--auth-file", str(tokens),
                          "--admin-token", "admintok")
    base = recordings_path("cam")
    async with cc.Sessions() as s:
        pub = s.add(await cc.whip_publish(server.url, "cam", audio=False, token="pubtok"))
        await pub.wait_connected()
        r = await api(server, "POST", base, "pubtok")
        assert r.status == 201, r
        rec = r.json()
        file_path = f"{base}/{rec['id']}/file"
        await wait_status_token(server, base, rec["id"], "pubtok",
                                lambda st: st["frames_written"] >= 30)
        # While it records: what is on disk now, as long as it is now.
        running = await api(server, "GET", file_path, "pubtok")
        assert running.status == 200, running
        assert int(running.header("Content-Length")) == len(running.body) > 0
        assert running.body.startswith(EBML_MAGIC)
        # Auth as GET on the recording: the stream's publish token or the admin token.
        assert (await api(server, "GET", file_path)).status == 401
        assert (await api(server, "GET", file_path, "viewtok")).status == 401
        assert (await api(server, "HEAD", file_path, "wrong")).status == 401
        stopped = await api(server, "DELETE", f"{base}/{rec['id']}", "pubtok")
        assert stopped.status == 200, stopped

    on_disk = Path(rec["path"]).read_bytes()
    size = len(on_disk)
    assert size == stopped.json()["bytes"]
    whole = await api(server, "GET", file_path, "admintok")
    assert whole.status == 200, whole
    assert whole.header("Content-Type") == "video/x-matroska"
    assert whole.header("Accept-Ranges") == "bytes"
    assert int(whole.header("Content-Length")) == size and whole.body == on_disk
    assert whole.header("Content-Disposition") is None
    # A page on another origin can read the range headers.
    exposed = whole.header("Access-Control-Expose-Headers")
    assert {"Content-Range", "Content-Disposition", "Accept-Ranges"} <= {
        h.strip() for h in exposed.split(",")}, exposed
    got = tmp_path / "served.mkv"
    got.write_bytes(whole.body)
    info = discover(got)
    assert "Matroska" in info["container"] and info["video"].startswith("H.264"), info["text"]

    async def ranged(value: str, token="pubtok") -> cc.HttpResponse:
        return await cc.http_request("GET", server.url + file_path,
                                     headers={**cc.bearer(token), "Range": value})

    for value, first, last in (("bytes=0-99", 0, 99), (f"bytes=100-{size + 5000}", 100, size - 1),
                               ("bytes=-64", size - 64, size - 1), (f"bytes={size - 1}-",
                                                                    size - 1, size - 1)):
        r = await ranged(value)
        assert r.status == 206, (value, r)
        assert r.header("Content-Range") == f"bytes {first}-{last}/{size}", (value, r.headers)
        assert int(r.header("Content-Length")) == last - first + 1
        assert r.body == on_disk[first:last + 1], value
    for value in (f"bytes={size}-", f"bytes={size + 10}-{size + 20}", "bytes=-0"):
        r = await ranged(value)
        assert r.status == 416, (value, r)
        assert r.header("Content-Range") == f"bytes */{size}"
        assert "error" in r.json()
    # Several ranges or a malformed one: the whole file, as RFC 9110 §14.2 allows.
    for value in ("bytes=0-9,20-29", "bytes=9-0", "bytes=abc", "lines=1-2"):
        r = await ranged(value)
        assert r.status == 200 and r.body == on_disk, (value, r.status)

    head = await api(server, "HEAD", file_path, "pubtok")
    assert head.status == 200 and head.body == b"", head
    assert int(head.header("Content-Length")) == size
    assert head.header("Content-Type") == "video/x-matroska"

    dl = await api(server, "GET", file_path + "?download=1", "pubtok")
    assert dl.status == 200 and dl.body == on_disk
    assert dl.header("Content-Disposition") == \
        f'attachment; filename="{Path(rec["path"]).name}"', dl.headers

    # Unknown recording, another stream's id, and a file that is gone: 404 with a JSON error.
    for path in (f"{base}/{'0' * 32}/file", f"{recordings_path('other')}/{rec['id']}/file"):
        r = await api(server, "GET", path, "admintok")
        assert r.status == 404 and "error" in r.json(), r
    Path(rec["path"]).unlink()
    r = await api(server, "GET", file_path, "pubtok")
    assert r.status == 404 and r.json()["error"], r
