"""The routes the web studio needs (docs/API.md, Workflows and Recordings): the workflow library
(GET /workflows, GET /workflows/{name}), validation without side effects (POST
/workflows/validate) and a recording's file served from disk with byte ranges, all against the
real server with real aiortc peers on 127.0.0.1."""

import json

import pytest

import comfystream_client as cc
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

