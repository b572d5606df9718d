"""BYOC errors: every bad input answers its status with {"error": "...", "status_code": N}
(directly, and relayed by the orchestrator stand-in as go-livepeer relays worker errors),
capacity per capability (503 + Retry-After), and the worker token (401)."""

import base64
import json

import pytest

import byoc_test_client as btc
import comfystream_client as cc
from byoc_support import (BROKEN, INVERT, assert_json_error, assert_relayed_error,  # noqa: F401
                          delete_session, direct_job, orch, standin_job, status_of,
                          wait_registered, worker_args)

BIG = b'{"input": {"pad": "' + b"x" * (200 * 1024) + b'"}}'


def b64(obj) -> str:
    return base64.b64encode(json.dumps(obj).encode()).decode()


@pytest.mark.timeout_s(150)
async def test_bad_input_table(start_server, orch, tmp_path):
    server = start_server(*worker_args(orch, tmp_path, "--capacity", "4"))
    await wait_registered(orch)
    pub_offer = await cc.offer_sdp("sendonly")
    view_offer = await cc.offer_sdp("recvonly")
    vp8_only = (await cc.offer_sdp("sendonly", video_codec="VP8")).replace("VP8", "XYZ8")
    a_video = (await direct_job(server, "comfystream-video", {"input": {}})).json()["session_id"]
    a_whep = "0" * 32

    # (capability/sub-path, body, status, what the error says)
    table = [
        ("comfystream-video", b"{", 400, "invalid JSON"),
        ("comfystream-video", b"", 400, "body is empty"),
        ("comfystream-video", b"[1, 2]", 400, "JSON object"),
        ("comfystream-video", {}, 400, "'input' is missing"),
        ("comfystream-video", {"input": []}, 400, "'input' must be an object"),
        ("comfystream-video", {"input": {"width": "wide"}}, 400, "'input.width' must be an integer"),
        ("comfystream-video", {"input": {"height": 4}}, 400, "'input.height' must be within"),
        ("comfystream-video", {"input": {"prompts": "invert"}}, 400, "'input.prompts'"),
        ("comfystream-video", {"input": {"prompts": [BROKEN]}}, 400, "invalid workflow"),
        # text prompts are accepted since issue 9 (test_seed_examples); bad ones are named
        ("comfystream-video", {"input": {"prompts": [{"text": "a sunset", "weight": 99}]}}, 400,
         "'input.prompts[].weight'"),
        ("comfystream-video", {"input": {}, "workspace": 1}, 400, "'workspace'"),
        ("whip-ingest", {}, 400, "'sdp_offer' is missing"),
        ("whip-ingest", {"sdp_offer": 42}, 400, "'sdp_offer' must be a string"),
        ("whip-ingest", {"sdp_offer": "v=0\r\n"}, 400, "SDP"),
        ("whip-ingest", {"sdp_offer": pub_offer, "prompts": [BROKEN]}, 400, "invalid workflow"),
        ("whip-ingest", {"sdp_offer": pub_offer, "width": 1.5}, 400, "'width'"),
        ("whip-ingest", {"sdp_offer": view_offer}, 422, "sendonly"),
        ("whip-ingest", {"sdp_offer": vp8_only}, 422, "codec"),
        ("whep-subscribe", {"sdp_offer": ""}, 400, "'sdp_offer' is empty"),
        ("whep-subscribe", {"sdp_offer": view_offer, "session_id": a_whep}, 404, "no BYOC session"),
        ("whep-subscribe", {"sdp_offer": view_offer, "session_id": 7}, 400, "'session_id'"),
        ("whep-subscribe", {"sdp_offer": view_offer, "stream_id": "a", "session_id": "b"}, 400,
         "not both"),
        ("whep-subscribe", {"sdp_offer": pub_offer, "stream_id": "x"}, 422, "recvonly"),
        ("whep-subscribe", {"sdp_offer": view_offer, "stream_id": "x"}, 409, "no publisher"),
        ("whep-subscribe", {"sdp_offer": view_offer, "session_id": a_video}, 409, "no publisher"),
    ]
    for cap, body, status, says in table:
        r = await direct_job(server, cap, body)
        j = assert_json_error(r, status, says, retry_after=(status == 409))
        if body == {"input": {"prompts": [BROKEN]}}:
            assert j["node_errors"]["2"]["errors"][0]["extra_info"]["input_name"] == "image", j
        # The same request through the orchestrator: the worker's status and body, as text/plain.
        st, h, b = await standin_job(orch, cap, body)
        assert_relayed_error(st, h, b, status, says)

    # Unknown capability: 404 from the worker; through the orchestrator, a sub-path the worker
    # does not know (the capability in the Livepeer header is registered) is its 404 too.
    assert_json_error(await direct_job(server, "text-reversal", {}), 404, "unknown capability")
    st, h, b = await standin_job(orch, "reverse-text", {}, capability="whip-ingest")
    assert_relayed_error(st, h, b, 404)
    # Bodies past 128 KiB: 413 from HttpServer's error handler, in the same shape.
    assert_json_error(await direct_job(server, "comfystream-video", BIG), 413, "128 KiB")
    st, h, b = await standin_job(orch, "comfystream-video", BIG)
    assert_relayed_error(st, h, b, 413, "128 KiB")

    # A Livepeer header, when a client sends one to the worker itself, must be well-formed.
    good = {"request": "{}", "parameters": "{}", "capability": "comfystream-video",
            "timeout_seconds": 10}
    for value, says in ((b64(good)[:-2], "base64"), ("%%%", "base64"),
                        (b64({**good, "timeout_seconds": 0}), "timeout_seconds"),
                        (b64({**good, "request": "not json"}), "'request'"),
                        (b64({k: v for k, v in good.items() if k != "capability"}), "capability"),
                        (b64({**good, "capability": "whip-ingest"}), "names capability")):
        r = await direct_job(server, "comfystream-video", {"input": {}}, {"Livepeer": value})
        assert_json_error(r, 400, says)
    # A valid one is accepted, and may name the capability for an empty sub-path.
    r = await cc.http_request("POST", f"{server.url}/process/request/",
                              json.dumps({"sdp_offer": view_offer, "session_id": a_whep}).encode(),
                              {"Livepeer": b64({**good, "capability": "whep-subscribe"})})
    assert_json_error(r, 404, "no BYOC session")

    # Only POST creates jobs.
    r = await cc.http_request("GET", f"{server.url}/process/request/whip-ingest")
    assert_json_error(r, 405)
    assert "POST" in r.header("Allow")

    # Sessions and their endpoints.
    assert_json_error(await status_of(server, a_whep), 404, "no BYOC session")
    assert_json_error(await delete_session(server, a_whep), 404, "no BYOC session")
    assert_json_error(await cc.post_sdp(f"{server.url}/byoc/whip/{a_whep}", pub_offer), 404)
    assert_json_error(await cc.post_sdp(f"{server.url}/byoc/whep/{a_whep}", view_offer), 404)
    assert_json_error(await cc.post_sdp(f"{server.url}/byoc/whip/{a_video}", pub_offer,
                                        content_type="application/json"), 415)
    assert_json_error(await cc.post_sdp(f"{server.url}/byoc/whep/{a_video}", view_offer), 409,
                      "no publisher", retry_after=True)
    assert_json_error(await cc.http_request("DELETE", f"{server.url}/byoc/whip/{a_video}/{a_whep}"),
                      404)
    r = await cc.http_request("OPTIONS", f"{server.url}/byoc/whip/{a_video}")
    assert r.status == 204 and r.header("Accept-Post") == "application/sdp"

    # Nothing was left behind by the rejected requests.
    assert list(await server.get_json("/byoc-stats")) == [a_video]
    assert await server.whip_stats() == {} and await server.whep_stats() == {}
    assert (await delete_session(server, a_video)).status == 200
    assert await server.get_json("/streams/stats") == {}


@pytest.mark.timeout_s(90)
async def test_capacity_per_capability(start_server, orch, tmp_path):
    server = start_server(*worker_args(orch, tmp_path, "--capacity", "1"))
    await wait_registered(orch)
    assert orch.registered()["comfystream-video"]["capacity"] == 1
    first = await direct_job(server, "comfystream-video", {"input": {}})
    assert first.status == 200
    sid = first.json()["session_id"]
    # The second one: 503 with Retry-After, directly and through the orchestrator.
    assert_json_error(await direct_job(server, "comfystream-video", {"input": {}}), 503,
                      "at capacity", retry_after=True)
    st, h, b = await standin_job(orch, "comfystream-video", {"input": {}})
    assert_relayed_error(st, h, b, 503, "at capacity")
    # Another capability has its own capacity.
    client = btc.ByocClient(orch.url, server.url, livepeer=True)
    async with cc.Sessions() as s:
        pub, ans = await btc.whip_ingest(client)
        s.add(pub)
        await pub.wait_connected(15)
        st, h, b = await standin_job(orch, "whip-ingest",
                                     {"sdp_offer": await cc.offer_sdp("sendonly")})
        assert_relayed_error(st, h, b, 503, "at capacity")
    # Ending a session frees its slot.
    assert (await delete_session(server, sid)).status == 200
    assert (await direct_job(server, "comfystream-video", {"input": {}})).status == 200


@pytest.mark.timeout_s(90)
async def test_worker_token(start_server, orch, tmp_path):
    server = start_server(*worker_args(orch, tmp_path, "--worker-token", "w0rker-t0ken"))
    await wait_registered(orch)
    # Registered as the capability's token, so the orchestrator sends it as a Bearer token.
    assert {r["token"] for r in orch.registered().values()} == {"w0rker-t0ken"}

    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "w0rker-t0ken"},
                    {"Authorization": "Basic w0rker-t0ken"}):
        r = await direct_job(server, "comfystream-video", {"input": {}}, headers)
        assert_json_error(r, 401)
        assert r.header("WWW-Authenticate", "").startswith("Bearer"), r.headers
    # 401 comes before looking at the request at all.
    assert_json_error(await direct_job(server, "nope", b"{"), 401)
    r = await direct_job(server, "comfystream-video", {"input": {}},
                         {"Authorization": "Bearer w0rker-t0ken"})
    assert r.status == 200, r
    assert (await delete_session(server, r.json()["session_id"])).status == 200

    # Through the orchestrator, which adds the registered token.
    st, h, b = await standin_job(orch, "comfystream-video", {"input": {"prompts": [INVERT]}})
    assert st == 200, b
    assert orch.forwarded[-1]["headers"]["Authorization"] == "Bearer w0rker-t0ken"
    sid = json.loads(b)["session_id"]
    # Session status stays open (its id is the key); the list of every session is not.
    assert (await status_of(server, sid)).status == 200
    assert_json_error(await cc.http_request("GET", f"{server.url}/byoc-stats"), 401)
    r = await cc.http_request("GET", f"{server.url}/byoc-stats",
                              headers={"Authorization": "Bearer w0rker-t0ken"})
    assert r.status == 200 and list(r.json()) == [sid]
