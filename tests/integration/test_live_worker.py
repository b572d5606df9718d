"""The Livepeer live-video worker (issue 10) against the real peer: fakeorch runs go-livepeer's own
trickle server, creates the orchestrator's five channels, calls our /stream/start, publishes the
input in real time and reads the output, events and data back (../shared/peers/livepeer-trickle).

What a gateway's user sees: the processed segments decode as H.264 with every frame's pixels
transformed, each segment starts on a keyframe, audio travels along, params updates switch the
workflow, heartbeats keep the gateway from swapping orchestrators, and a stream's end leaves
nothing behind. The input is a still SMPTE pattern (or a solid colour), so any output frame can be
compared with the decoded input's first frame (trickle_support.verdict).
"""

import asyncio
import json
import time

import pytest

import comfystream_client as cc
from conftest import stable_counts
from orchestrator_standin import make_self_signed_cert
from trickle_support import (FakeOrch, HarnessError, MediaCache, TlsRelay, analyse_dir,
                             fakeorch_binary, input_frame_count, looks_like, patch_means,
                             reference_means)

# ---- the worker's names, in one place (issue 10 "What a user gets") --------------------------
CAPACITY_FLAG = "--stream-capacity"   # streams served at once
SERVER_ARGS = ()                      # more flags every test's server gets (segment length, ...)
START, ALIAS, PARAMS, STOP, STATUS, HEALTH = ("/stream/start", "/live-video-to-video",
                                              "/stream/params", "/stream/stop", "/stream/status",
                                              "/health")
# Events match on the envelope's queue_event_type or the event's own "type" (Event.named). A
# heartbeat's type may be "heartbeat" inside a "stream_heartbeat" envelope (fakeorch's Go worker
# also sends its stream_stopped in that envelope, so the event's own type wins when it has one).
HEARTBEAT = "stream_heartbeat"
HEARTBEAT_TYPES = ("stream_heartbeat", "heartbeat")
PARAMS_UPDATED = "params_updated"
STREAM_STOPPED = "stream_stopped"
LIFECYCLE = ("receive_first_ingest_segment", "send_first_processed_segment")
HEARTBEAT_PERIOD_S, HEARTBEAT_SLACK_S = 10.0, 1.0

NODE = lambda t, **inputs: {"class_type": t, "inputs": inputs}  # noqa: E731
INVERT = {"1": NODE("LoadTensor"), "2": NODE("ImageInvert", image=["1", 0]),
          "3": NODE("SaveTensor", images=["2", 0])}
PASSTHROUGH = {"1": NODE("LoadTensor"), "2": NODE("SaveTensor", images=["1", 0])}
BROKEN = {"1": NODE("LoadTensor"), "2": NODE("ImageInvert", image=["7", 0]),
          "3": NODE("SaveTensor", images=["2", 0])}
TEXT = "hello from the workflow"  # SaveTextTensor removes line breaks by default
PASSTHROUGH_TEXT = {**PASSTHROUGH, "3": NODE("SaveTextTensor", data="hello\nfrom the workflow")}


# ---- fixtures -------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def fakeorch_bin():
    try:
        return fakeorch_binary()
    except HarnessError as e:  # a broken set-up fails; it never skips
        pytest.fail(str(e), pytrace=False)


@pytest.fixture(scope="session")
def media(tmp_path_factory):
    return MediaCache(tmp_path_factory.mktemp("trickle-media"))


@pytest.fixture
def orch(fakeorch_bin, tmp_path):
    """Factory: ``orch("id", worker=server.url, input_ts=..., params=...)`` -> a started
    :class:`FakeOrch`; every one is stopped (SIGINT) at teardown."""
    runs = []

    def _start(stream_id, **kw) -> FakeOrch:
        fo = FakeOrch(fakeorch_bin, tmp_path / "fakeorch", stream_id, **kw).start()
        runs.append(fo)
        return fo

    yield _start
    for fo in runs:
        fo.stop()


# ---- helpers --------------------------------------------------------------------------------

async def finish(fo: FakeOrch, timeout: float = 90) -> int:
    """fakeorch's exit status once its run is over (input sent, output drained, stop sent)."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, fo.wait, timeout)


async def post(server, path: str, body, headers=None) -> cc.HttpResponse:
    data = body if isinstance(body, (bytes, str)) else json.dumps(body).encode()
    h = {"Content-Type": "application/json"} if not isinstance(body, (bytes, str)) else {}
    return await cc.http_request("POST", server.url + path, data, {**h, **(headers or {})})


def start_body(stream_id: str, urls: dict, params=None) -> dict:
    return {"gateway_request_id": stream_id, **urls, "params": params or {}}


def unreachable_urls(stream_id: str) -> dict:
    """Channel URLs nobody serves (port 9): for requests that must be refused before use."""
    return {k: f"http://127.0.0.1:9/ai/trickle/{stream_id}{suffix}" for k, suffix in (
        ("subscribe_url", ""), ("publish_url", "-out"), ("control_url", "-control"),
        ("events_url", "-events"), ("data_url", "-data"))}


async def health(server) -> str:
    r = await cc.http_request("GET", server.url + HEALTH)
    assert r.status == 200, r
    return r.json().get("status")


async def wait_health(server, want: str, timeout: float = 20) -> None:
    state = {"now": None}

    async def poll():
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state["now"] = await health(server)
            if state["now"] == want:
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"GET {HEALTH} never said {want!r} within {timeout}s "
                             f"(last {state['now']!r})")
    await poll()


async def wait_for(fo: FakeOrch, predicate, timeout: float, what: str) -> None:
    await cc.wait_until(predicate, timeout, lambda: f"{what}\n{fo!r}\n{fo.log_tail(30)}")


def assert_started(fo: FakeOrch) -> dict:
    a = fo.start_answer
    assert a is not None and a.code == 200, f"/stream/start: {a}\n{fo.log_tail()}"
    body = json.loads(a.body)
    assert body.get("status") == "success" and body.get("request_id"), body
    return body


def assert_segments(fo: FakeOrch, input_ts, look: str, size=(512, 512), audio=True):
    """Every output segment: H.264 at ``size``, a whole number of TS packets, a keyframe first,
    every packet decodes; >= 90 % of the input's frames, all (after a warm-up prefix that carries
    the input) looking ``look`` ('inverted' or 'plain') against the input's own first frame."""
    segs = analyse_dir(fo.out_dir)
    assert len(segs) == len(fo.out_segments), (segs, fo.out_segments)
    # a preconnected segment closed without data at the very end is harmless; elsewhere not
    assert all(s.size for s in segs[:-1]), f"empty segments: {segs}"
    segs = [s for s in segs if s.size]
    assert segs, f"no output segment\n{fo!r}\n{fo.log_tail()}"
    for s in segs:
        assert s.video_codec == "h264" and (s.width, s.height) == size, s
        assert s.whole_ts_packets, s
        assert s.first_packet_key and s.first_frame_key, f"not starting on a keyframe: {s}"
        assert s.frames == s.packets > 0 and not s.errors, s
    if audio:
        # the last segment may end before the audio of its frames does
        no_audio = [s for s in segs[:-1] if not s.audio_codecs or s.audio_frames == 0]
        assert not no_audio, f"segments without audio: {no_audio}"
    ref = reference_means(input_ts)
    verdicts = [v for s in segs for v in s.verdicts(ref)]
    want = input_frame_count(input_ts)
    assert len(verdicts) >= 0.9 * want, f"{len(verdicts)} of {want} input frames came out"
    first = verdicts.index(look) if look in verdicts else len(verdicts)
    after = verdicts[first:]
    assert all(v == look for v in after), (
        f"after the first {look} frame ({first}), frames {sorted(set(after))}: "
        f"{[(s.seq, s.verdicts(ref)) for s in segs if set(s.verdicts(ref)) != {look}]}")
    assert len(after) >= 0.9 * want, f"only {len(after)} of {want} frames {look}"
    return segs


def assert_heartbeats(fo: FakeOrch) -> None:
    beats = [e.clock for e in fo.events
             if e.type in HEARTBEAT_TYPES or (not e.type and e.queue_event_type == HEARTBEAT)]
    assert len(beats) >= 2, f"heartbeats at {beats}: {fo!r}"
    gaps = [b - a for a, b in zip(beats, beats[1:])]
    assert all(abs(g - HEARTBEAT_PERIOD_S) <= HEARTBEAT_SLACK_S for g in gaps), \
        f"heartbeat gaps {[round(g, 2) for g in gaps]} s"


# ---- tests ----------------------------------------------------------------------------------

@pytest.mark.timeout_s(180)
async def test_twenty_seconds_of_invert_next_to_aac_passthrough_with_whep_and_capacity(
        start_server, orch, media):
    server = start_server(CAPACITY_FLAG, "2", *SERVER_ARGS)
    a_in = media.get(20, "opus", "smpte")
    b_in = media.get(20, "aac", "green")  # different input, workflow and audio codec: no mixing
    a = orch("live-a", worker=server.url, input_ts=a_in, params={"prompts": INVERT})
    b = orch("live-b", worker=server.url, input_ts=b_in, params={"prompts": PASSTHROUGH})
    for fo in (a, b):
        await wait_for(fo, lambda fo=fo: fo.start_answer is not None, 60, "/stream/start answer")
        assert_started(fo)
    assert await health(server) == "OK"

    # a third stream beyond --stream-capacity 2
    third = start_body("live-c", unreachable_urls("live-c"))
    r = await post(server, START, third, {"X-Stream-Id": "live-c"})
    assert r.status == 503, r
    assert (r.header("Retry-After") or "").strip().isdigit(), r.headers

    # the trickle stream's processed output over WHEP (streamId = gateway_request_id), while the
    # trickle output keeps flowing
    await wait_for(a, lambda: len(a.out_segments) >= 1, 30, "a first output segment")
    ref = reference_means(a_in)
    async with cc.Sessions() as s:
        viewer = s.add(await cc.whep_subscribe(server.url, "live-a"))
        viewer.decode = False  # no barcode in this pattern
        await viewer.wait_frames(30, timeout=20)
        segments_while_viewing = len(a.out_segments)
        await wait_for(a, lambda: len(a.out_segments) >= segments_while_viewing + 2, 10,
                       "trickle output while a WHEP viewer watches")
        assert set(viewer.sizes) == {(512, 512)}, viewer.sizes
        got = [patch_means(rgb) for rgb in viewer.last_frames]
        assert all(looks_like(m, ref, inverted=True) for m in got), \
            f"WHEP frames not inverted: {[m.round().tolist() for m in got]}"
        await viewer.wait_audio(1, timeout=10)

    assert await finish(a) == 0, a.log_tail()
    assert await finish(b) == 0, b.log_tail()
    assert_segments(a, a_in, "inverted")
    assert_segments(b, b_in, "plain")
    for fo in (a, b):
        assert_heartbeats(fo)
        for name in LIFECYCLE + (STREAM_STOPPED,):
            assert fo.events_named(name), f"no {name} event: {fo!r}"
        assert not fo.error_events(), fo.error_events()
    await wait_health(server, "IDLE")


@pytest.mark.timeout_s(120)
async def test_params_updates_over_control_and_http_switch_the_workflow(start_server, orch, media):
    server = start_server(CAPACITY_FLAG, "2", *SERVER_ARGS)
    ts = media.get(12, "opus", "smpte")
    # passthrough -> invert through the control channel; invert -> passthrough through
    # POST /stream/params, with a key the worker does not know (it must not fail the call).
    # The first workflow's text output goes to the data channel (JSONL).
    c = orch("live-ctl", worker=server.url, input_ts=ts, params={"prompts": PASSTHROUGH_TEXT},
             update={"prompts": INVERT}, update_after_s=4, update_via="control")
    h = orch("live-http", worker=server.url, input_ts=ts, params={"prompts": INVERT},
             update={"prompts": PASSTHROUGH, "not_a_known_key": 1}, update_after_s=4,
             update_via="http")
    assert await finish(c) == 0, c.log_tail()
    assert await finish(h) == 0, h.log_tail()
    ref = reference_means(ts)
    for fo, before, after in ((c, "plain", "inverted"), (h, "inverted", "plain")):
        assert_started(fo)
        if fo is c:
            assert len(fo.control_updates) == 1, fo.log_tail()
            sent = fo.control_updates[0].clock
        else:
            assert [x.code for x in fo.params_answers] == [200], fo.params_answers
            sent = fo.params_answers[0].clock  # logged on the answer: a later bound
        segs = analyse_dir(fo.out_dir)
        # the segment being written when the update was sent: the first logged as done after it
        open_seq = next((o.seq for o in fo.out_segments if o.clock >= sent), None)
        assert open_seq is not None, f"no output after the update: {fo!r}"
        frames = [(s.seq, v) for s in segs for v in s.verdicts(ref)]
        looks = [v for _, v in frames]
        # skip the first workflow's own warm-up (frames that carry the input), then: the old
        # look, the switch, the new look to the end, nothing else in between
        assert before in looks, f"{fo.stream_id}: never {before}: {looks}"
        start = looks.index(before)
        k = next((i for i in range(start, len(looks)) if looks[i] == after), None)
        assert k is not None, f"{fo.stream_id}: never switched to {after}: {looks}"
        switched = frames[k][0]
        assert switched <= open_seq + 2, (
            f"{fo.stream_id}: update sent during segment {open_seq}, first {after} frame in "
            f"segment {switched}: {[(s.seq, s.verdicts(ref)) for s in segs]}")
        assert set(looks[start:k]) == {before}, looks  # no gap, no garbage before the switch
        assert set(looks[k:]) == {after}, looks  # and no way back
        # (POST /stream/params may answer after the warm-up, so its event can precede `sent`)
        events = [e for e in fo.events_named(PARAMS_UPDATED) if e.clock >= fo.start_answer.clock]
        assert events, f"no {PARAMS_UPDATED} event: {fo!r}"
        assert not fo.error_events(), fo.error_events()
    assert any(TEXT in d.text for d in c.data), f"no {TEXT!r} on the data channel: {c.data}"


@pytest.mark.timeout_s(120)
async def test_input_channel_closing_ends_the_stream_cleanly(start_server, orch, media, tmp_path):
    server = start_server(CAPACITY_FLAG, "2", *SERVER_ARGS)
    ts = media.get(4, "opus", "smpte")

    async def one_stream(stream_id: str) -> None:
        # -no-stop: only the input channel's DELETE (the gateway's end of stream) ends it
        fo = orch(stream_id, worker=server.url, input_ts=ts, params={"prompts": INVERT},
                  extra=["-no-stop", "-drain", "20s"])
        assert await finish(fo) == 0, fo.log_tail()
        assert_started(fo)
        assert fo.input_done is not None and fo.stop_answer is None, fo.log_tail()
        # the worker closed its output channel (fakeorch's subscriber saw the end) ...
        assert fo.output_ended_in_drain is not None, \
            f"output channel not closed by the worker\n{fo.log_tail()}"
        # ... after a complete last segment, and said so on the events channel
        segs = assert_segments(fo, ts, "inverted")
        last = segs[-1]
        assert last.whole_ts_packets and last.frames == last.packets > 0, last
        assert fo.events_named(STREAM_STOPPED), f"no {STREAM_STOPPED}: {fo!r}"
        assert not fo.error_events(), fo.error_events()
        await wait_health(server, "IDLE")

    # The first stream may build long-lived parts lazily: the baseline is taken after it.
    await one_stream("live-warm")
    base = await stable_counts(server)
    await one_stream("live-end")
    try:
        await cc.wait_until(lambda: (server.fd_count(), server.thread_count()) == base, 20,
                            "fd/thread counts back to the baseline")
    except TimeoutError:
        pytest.fail(f"after the stream: fds {server.fd_count()}, threads "
                    f"{server.thread_count()}; baseline {base}")


@pytest.mark.timeout_s(120)
async def test_bad_requests_raw_text_stop_and_channels_that_404(start_server, orch, media):
    server = start_server(CAPACITY_FLAG, "2", *SERVER_ARGS)
    # channels hosted by fakeorch (no -worker): the test drives the worker's API itself
    good = orch("live-good", input_ts=media.get(20, "opus", "smpte"))
    bad = orch("live-bad")
    good_urls, bad_urls = good.wait_channels(), bad.wait_channels()

    # no gateway_request_id: 400, on the route and its alias; a bad URL; a broken workflow
    for path in (START, ALIAS):
        body = start_body("x", good_urls)
        del body["gateway_request_id"]
        r = await post(server, path, body)
        assert r.status == 400, (path, r)
    r = await post(server, START, start_body("x", dict(good_urls, subscribe_url="not a url")))
    assert r.status == 400, r
    r = await post(server, START, start_body("x", good_urls, {"prompts": BROKEN}))
    assert r.status == 400 and "node_errors" in r.json(), r

    r = await post(server, START, start_body("live-good", good_urls, {"prompts": INVERT}),
                   {"X-Stream-Id": "live-good"})
    assert r.status == 200 and r.json().get("status") == "success", r
    await wait_for(good, lambda: len(good.out_segments) >= 1, 30, "output of the good stream")

    # an input channel that does not exist (404): that stream ends with an error event
    missing = dict(bad_urls, subscribe_url=bad.trickle_base + "live-bad-missing")
    r = await post(server, START, start_body("live-bad", missing, {"prompts": INVERT}),
                   {"X-Stream-Id": "live-bad"})
    assert r.status == 200, r
    await wait_for(bad, lambda: bad.error_events(), 30, "an error event for the 404 channel")

    # ... and the other stream keeps going
    n = len(good.out_segments)
    await wait_for(good, lambda: len(good.out_segments) >= n + 2, 15,
                   "the good stream's output after the other failed")
    assert not good.error_events(), good.error_events()

    # the orchestrator's stop: raw text, no Content-Type
    r = await cc.http_request("POST", server.url + STOP, b"stream ended",
                              {"X-Stream-Id": "live-good"})
    assert r.status == 200, r
    await wait_for(good, lambda: good.events_named(STREAM_STOPPED), 15, STREAM_STOPPED)
    await wait_for(good, lambda: good.output_ended is not None, 15, "the output channel's end")
    segs = analyse_dir(good.out_dir)
    assert segs and segs[-1].whole_ts_packets and segs[-1].frames == segs[-1].packets > 0, segs
    await wait_health(server, "IDLE")


@pytest.mark.timeout_s(60)
async def test_stream_routes_take_the_worker_token(start_server):
    """The orchestrator sends the registered token as a Bearer header, as for jobs (BYOC.md)."""
    server = start_server(CAPACITY_FLAG, "1", "--worker-token", "tok3n", *SERVER_ARGS)
    body = start_body("t", unreachable_urls("t"))
    del body["gateway_request_id"]  # past the token check, the body is refused: nothing starts
    for path, payload in ((START, body), (ALIAS, body), (PARAMS, {"prompts": INVERT}),
                          (STOP, b"stream ended")):
        r = await post(server, path, payload, {"X-Stream-Id": "t"})
        assert r.status == 401, (path, r)
        r = await post(server, path, payload, {"X-Stream-Id": "t", **cc.bearer("wrong")})
        assert r.status == 401, (path, r)
    r = await post(server, START, body, cc.bearer("tok3n"))
    assert r.status == 400, r


async def stream_status(server, stream_id: str) -> dict:
    r = await cc.http_request("GET", server.url + STATUS)
    assert r.status == 200, r
    for s in r.json().get("streams", []):
        if s.get("gateway_request_id") == stream_id:
            return s
    return {}


@pytest.mark.timeout_s(90)
async def test_a_stalled_input_ends_with_an_error_and_max_framerate_paces(start_server, orch,
                                                                          media):
    """An input channel that delivers nothing ends its stream with an error event (60 s by
    default, 3 s here); max_framerate drops input frames above it, and the drops are counted."""
    server = start_server(CAPACITY_FLAG, "2", "--trickle-input-timeout", "3", *SERVER_ARGS)
    quiet = orch("live-quiet")  # channels only: nothing is ever published into the input
    paced = orch("live-paced", worker=server.url, input_ts=media.get(6, "opus", "smpte"),
                 params={"prompts": PASSTHROUGH, "max_framerate": 10})
    r = await post(server, START, start_body("live-quiet", quiet.wait_channels(),
                                             {"prompts": INVERT}))
    assert r.status == 200, r
    await wait_for(quiet, lambda: quiet.error_events(), 20, "the stalled input's error event")
    assert "no input" in quiet.error_events()[0].raw, quiet.error_events()
    await wait_for(quiet, lambda: quiet.events_named(STREAM_STOPPED), 10, STREAM_STOPPED)

    await wait_for(paced, lambda: len(paced.out_segments) >= 3, 30, "the paced stream's output")
    s = await stream_status(server, "live-paced")
    assert s["params"]["max_framerate"] == 10, s
    frames = s["frames"]
    # 30 fps decoded, 10 handed to the stream ("in"): two of every three are paced out
    assert frames["dropped_pacer"] >= frames["in"] > 0, s
    assert await finish(paced) == 0, paced.log_tail()
    segs = analyse_dir(paced.out_dir, pixels=False)
    total = sum(x.frames for x in segs)
    assert 0 < total <= 6 * 10 + 5, (total, segs)  # 6 s at 10 fps (a few frames of slack)
    await wait_health(server, "IDLE")


@pytest.mark.timeout_s(90)
async def test_https_channels_with_the_orchestrators_self_signed_certificate(start_server, orch,
                                                                             media, tmp_path):
    """An orchestrator serves its channels over https with a self-signed certificate (protocol
    §4.3): without --orch-insecure the worker refuses it (the stream ends, nothing is read), with
    it the stream runs."""
    cert, key = make_self_signed_cert(tmp_path)
    fo = orch("live-tls", input_ts=media.get(20, "opus", "smpte"))  # channels only, input flows
    urls = fo.wait_channels()
    plain = fo.trickle_base.split("/ai/trickle/")[0]  # http://127.0.0.1:PORT
    relay = TlsRelay(plain.removeprefix("http://"), cert, key).start()
    try:
        https = {k: v.replace(plain, relay.url) for k, v in urls.items()}
        assert all(v.startswith("https://") for v in https.values()), https

        insecure = start_server(CAPACITY_FLAG, "1", "--orch-insecure", *SERVER_ARGS)
        r = await post(insecure, START, start_body("live-tls", https, {"prompts": INVERT}))
        assert r.status == 200, r
        await wait_for(fo, lambda: len(fo.out_segments) >= 2, 30, "output over https")
        await wait_for(fo, lambda: fo.events_named(LIFECYCLE[1]), 10, "events over https")
        r = await cc.http_request("POST", insecure.url + STOP, b"stream ended")
        assert r.status == 200, r
        await wait_health(insecure, "IDLE")
        assert relay.handshake_failures == 0

        strict = start_server(CAPACITY_FLAG, "1", *SERVER_ARGS)
        r = await post(strict, START, start_body("live-tls", https, {"prompts": INVERT}))
        assert r.status == 200, r
        await cc.wait_until(lambda: relay.handshake_failures > 0, 20,
                            "the worker refusing the self-signed certificate")
        n = len(fo.out_segments)
        await wait_health(strict, "IDLE", timeout=40)  # the stream ended: no input to read
        assert len(fo.out_segments) == n, fo.out_segments  # nothing was published

    finally:
        relay.close()
