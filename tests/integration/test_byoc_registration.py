"""Capability registration with the orchestrator stand-in: at start, again periodically and after
failures (with backoff), after the orchestrator forgets the worker, unregistration on a clean
shutdown, the `register` subcommand, and a self-signed TLS orchestrator (--orch-insecure)."""

import asyncio
import json

import pytest

import comfystream_client as cc
from byoc_support import (CAPABILITIES, SECRET, orch, standin_job, stop_server,  # noqa: F401
                          wait_registered, worker_args)
from conftest import _binary, free_port
from orchestrator_standin import Orchestrator, make_self_signed_cert


async def run_register(*args) -> tuple:
    proc = await asyncio.create_subprocess_exec(
        str(_binary()), "register", *args, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode, out.decode(), err.decode()


@pytest.mark.timeout_s(90)
async def test_reregisters_after_the_orchestrator_restarts(start_server, orch, tmp_path):
    start_server(*worker_args(orch, tmp_path))
    await wait_registered(orch)
    st, _, b = await standin_job(orch, "comfystream-video", {"input": {}})
    assert st == 200, b

    # An orchestrator restart: registrations are in memory only, all gone.
    orch.stop()
    with orch.lock:
        orch.capabilities.clear()
    orch.start()  # same port
    await wait_registered(orch, timeout=10)  # --register-interval 1
    st, _, b = await standin_job(orch, "comfystream-video", {"input": {}})
    assert st == 503 and json.loads(b)["error"].startswith("capability 'comfystream-video' is at")


@pytest.mark.timeout_s(90)
async def test_a_401_from_the_worker_drops_the_capability_until_reregistration(start_server, orch,
                                                                              tmp_path):
    """go-livepeer removes a capability whose worker answers 401 (a token it no longer
    accepts); the worker's periodic registration puts it back."""
    start_server(*worker_args(orch, tmp_path, "--worker-token", "t0ken", "--capacity", "5"))
    await wait_registered(orch)
    for _ in range(3):  # a periodic re-registration may restore the token in between: again
        with orch.lock:
            orch.capabilities["comfystream-video"]["token"] = "stale"
        st, _, b = await standin_job(orch, "comfystream-video", {"input": {}})
        if st != 200:
            break
    assert st == 500 and b"unauthorized" in b, b
    assert orch.forwarded[-1]["status"] == 401
    assert orch.forwarded[-1]["headers"]["Authorization"] == "Bearer stale"
    await wait_registered(orch, timeout=10)
    st, _, b = await standin_job(orch, "comfystream-video", {"input": {}})
    assert st == 200, b


@pytest.mark.timeout_s(90)
async def test_registration_retries_with_backoff_until_the_orchestrator_is_up(start_server,
                                                                               tmp_path):
    port = free_port()
    late = Orchestrator(SECRET, port=port)
    # The interval is long: only the retry-after-failure path can register within the test.
    server = start_server("--orch-url", late.url, "--orch-secret", SECRET,
                          "--register-interval", "300", "--state-dir", str(tmp_path / "state"))
    await cc.wait_until(lambda: "registration with" in server.log_text(), 10,
                        "a failed registration in the log")
    assert "failed (attempt 1), retrying in 1 s" in server.log_text(), server.log_tail()
    late.start()
    try:
        await wait_registered(late, timeout=20)
        # the job capabilities and the live-video one (docs/LIVEPEER.md)
        await cc.wait_until(lambda: "comfystream" in late.registered(), 10, "comfystream")
        assert set(late.registered()) == {*CAPABILITIES, "comfystream"}
        # The server logs its summary after the last answer arrives: the orchestrator may have
        # seen every registration a moment before the line is written.
        await cc.wait_until(lambda: "registered 4 capabilities" in server.log_text(), 10,
                            "the registration summary in the log")
    finally:
        late.stop()


@pytest.mark.timeout_s(60)
async def test_unregisters_on_a_clean_shutdown(start_server, orch, tmp_path):
    server = start_server(*worker_args(orch, tmp_path))
    await wait_registered(orch)
    stop_server(server)
    assert sorted(orch.unregister_log) == sorted([*CAPABILITIES, "comfystream"])
    assert orch.registered() == {}


@pytest.mark.timeout_s(60)
async def test_a_wrong_secret_is_reported(start_server, orch, tmp_path):
    server = start_server("--orch-url", orch.url, "--orch-secret", "wrong", "--register-interval",
                          "1", "--state-dir", str(tmp_path / "state"))
    await cc.wait_until(lambda: "check --orch-secret" in server.log_text(), 10,
                        "the bad secret named in the log")
    assert orch.registered() == {} and orch.rejected_registrations >= 1
    rc, out, err = await run_register("--orch-url", orch.url, "--orch-secret", "wrong")
    assert rc == 1 and "invalid authorization" in err and "--orch-secret" in err, (out, err)


@pytest.mark.timeout_s(60)
async def test_register_subcommand(orch, tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET + "\n")  # go-livepeer's convention: a file holding the secret
    rc, out, err = await run_register(
        "--orch-url", orch.url, "--orch-secret", str(secret_file), "--capability-url",
        "http://127.0.0.1:18999/", "--capacity", "3", "--price-per-unit", "7",
        "--price-scaling", "1000", "--currency", "eth", "--worker-token", "tok",
        "--stream-capacity", "2")
    assert rc == 0, (out, err)
    # The three job capabilities, and the live-video one (docs/LIVEPEER.md) with its own capacity.
    assert out.count("registered ") == 4, out
    regs = orch.registered()
    assert set(regs) == set(CAPABILITIES) | {"comfystream"}
    for name, r in regs.items():
        assert (r["url"], r["capacity"], r["price_per_unit"], r["price_scaling"], r["currency"],
                r["token"]) == ("http://127.0.0.1:18999", 2 if name == "comfystream" else 3, 7,
                                1000, "eth", "tok"), r
    assert orch.register_log[0] == {
        "name": "comfystream-video", "description": orch.register_log[0]["description"],
        "url": "http://127.0.0.1:18999", "capacity": 3, "price_per_unit": 7,
        "price_scaling": 1000, "currency": "eth", "token": "tok"}

    rc, out, err = await run_register("--unregister", "--orch-url", orch.url, "--orch-secret",
                                      SECRET)
    assert rc == 0, (out, err)
    assert orch.registered() == {}
    assert sorted(orch.unregister_log) == sorted([*CAPABILITIES, "comfystream"])

    rc, out, err = await run_register("--orch-secret", SECRET)
    assert rc == 2 and "--orch-url" in err, err
    rc, out, err = await run_register("--orch-url", "orch:8935", "--orch-secret", SECRET)
    assert rc == 2 and "--orch-url" in err and "http" in err, err


@pytest.mark.timeout_s(90)
async def test_self_signed_orchestrator_needs_orch_insecure(start_server, tmp_path):
    tls_orch = Orchestrator(SECRET, tls=make_self_signed_cert(tmp_path)).start()
    try:
        rc, out, err = await run_register("--orch-url", tls_orch.url, "--orch-secret", SECRET)
        assert rc == 1 and "--orch-insecure" in err, (out, err)
        assert tls_orch.registered() == {}
        rc, out, err = await run_register("--orch-url", tls_orch.url, "--orch-secret", SECRET,
                                          "--orch-insecure")
        assert rc == 0, (out, err)

        tls_orch.restart()
        server = start_server("--orch-url", tls_orch.url, "--orch-secret", SECRET,
                              "--orch-insecure", "--state-dir", str(tmp_path / "state"))
        await wait_registered(tls_orch)
        st, _, b = await standin_job(tls_orch, "comfystream-video", {"input": {}})
        assert st == 200 and json.loads(b)["status"] == "ready", b
        assert tls_orch.forwarded[-1]["url"] == server.url + "/comfystream-video"
    finally:
        tls_orch.stop()
