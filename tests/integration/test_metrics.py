"""GET /metrics: Prometheus text format 0.0.4, read with the reference parser (Debian's
python3-prometheus-client), while a real aiortc publisher and WHEP viewer play."""

import asyncio
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

import comfystream_client as cc

ADMIN = "adm-secret"
# Quotes and a backslash: the label value must come back through the parser unchanged.
STREAM = 'met "a"\\b'
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


async def scrape(server) -> dict:
    r = await cc.http_request("GET", server.url + "/metrics", headers=cc.bearer(ADMIN))
    assert r.status == 200, r
    assert r.header("Content-Type") == CONTENT_TYPE, r.headers
    # The parser raises on anything that is not the text format.
    return {f.name: f for f in text_string_to_metric_families(r.text)}


def value(families: dict, family: str, sample: str = None, **labels) -> float:
    """The one sample of `family` named `sample` (default: the family's name) with `labels`."""
    name = sample or family
    found = [s.value for s in families[family].samples
             if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(found) == 1, (family, name, labels, families[family].samples)
    return found[0]


def latency(families: dict):
    """The stream's latency histogram: [(le, cumulative count)] in order, its count and sum."""
    fam = families["comfystream_stream_server_latency_seconds"]
    assert fam.type == "histogram"
    buckets = [(s.labels["le"], s.value) for s in fam.samples
               if s.name.endswith("_bucket") and s.labels["stream_id"] == STREAM]
    count = value(families, fam.name, fam.name + "_count", stream_id=STREAM)
    return buckets, count


async def scrape_until(server, predicate, what: str, timeout: float = 15.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        families = await scrape(server)
        if predicate(families):
            return families
        if time.monotonic() > deadline:
            raise AssertionError(f"/metrics: {what} not reached within {timeout} s")
        await asyncio.sleep(0.2)


BYTE_COUNTERS = [  # (family as the parser names counters, extra labels)
    ("comfystream_stream_encoded_bytes", {"codec": "VP8"}),
    ("comfystream_stream_network_sent_bytes", {}),
    ("comfystream_stream_network_received_bytes", {}),
]


def byte_counts(families: dict) -> list:
    out = []
    for fam, labels in BYTE_COUNTERS:
        assert families[fam].type == "counter", fam
        out.append(value(families, fam, fam + "_total", stream_id=STREAM, **labels))
    return out


@pytest.mark.timeout_s(90)
async def test_metrics_while_a_stream_plays(start_server):
    server = start_server("--admin-token", ADMIN)

    # the admin token, as /streams/stats asks
    for headers in ({}, cc.bearer("wrong")):
        r = await cc.http_request("GET", server.url + "/metrics", headers=headers)
        assert r.status == 401, r

    idle = await scrape(server)
    assert value(idle, "comfystream_streams") == 0
    assert value(idle, "process_start_time_seconds") <= time.time()
    assert "stream_fps" not in idle
    # the two 401s and the health checks before them were counted
    assert value(idle, "comfystream_http_responses", "comfystream_http_responses_total",
                 status_class="4xx") >= 2
    assert value(idle, "comfystream_http_responses", "comfystream_http_responses_total",
                 status_class="2xx") >= 1

    async with cc.Sessions() as s:
        pub = s.add(await cc.whip_publish(server.url, STREAM, codec="H264"))
        viewer = s.add(await cc.whep_subscribe(server.url, STREAM, codec="VP8"))
        await viewer.wait_frames(10, timeout=15)

        first = await scrape_until(
            server, lambda f: value(f, "comfystream_stream_input_fps", stream_id=STREAM) > 0
            and latency(f)[1] > 0, "input fps and latency samples")
        assert value(first, "comfystream_streams") == 1
        assert value(first, "comfystream_publishers") == 1
        assert value(first, "comfystream_viewers", kind="whep") == 1
        assert value(first, "comfystream_viewers", kind="recording") == 0
        assert value(first, "comfystream_stream_viewers", stream_id=STREAM) == 1
        # the original's gauge, under its own name
        assert first["stream_fps"].type == "gauge"
        assert value(first, "comfystream_stream_frames_received", "comfystream_stream_frames_"
                     "received_total", stream_id=STREAM) > 0
        for reason in ("busy", "failed", "encoder", "viewer"):
            assert value(first, "comfystream_stream_frames_dropped",
                         "comfystream_stream_frames_dropped_total", stream_id=STREAM,
                         reason=reason) >= 0
        # a real histogram: cumulative buckets in order, ending with +Inf = _count
        buckets, count = latency(first)
        bounds = [float(le) for le, _ in buckets]
        assert bounds == sorted(bounds) and bounds[-1] == float("inf"), buckets
        counts = [c for _, c in buckets]
        assert counts == sorted(counts), buckets
        assert counts[-1] == count > 0
        assert value(first, "comfystream_byoc_sessions", capability="comfystream-video",
                     status="ready") == 0

        # counters grow while it plays
        bytes_before = byte_counts(first)
        assert all(b > 0 for b in bytes_before), bytes_before
        later = await scrape_until(
            server, lambda f: latency(f)[1] > count
            and all(a > b for a, b in zip(byte_counts(f), bytes_before)),
            "latency count and byte counters growing")
        assert value(later, "stream_fps", stream_id=STREAM) >= 0

        await viewer.close()
        await pub.close()

    # the stream's series go with it
    gone = await scrape_until(server, lambda f: value(f, "comfystream_streams") == 0,
                              "the stream retired")
    assert "stream_fps" not in gone
    assert value(gone, "comfystream_viewers", kind="whep") == 0
