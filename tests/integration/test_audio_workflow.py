"""An audio workflow end to end: the publisher's 440 Hz tone goes through LoadAudioTensor ->
PitchShifter -> SaveAudioTensor, and the viewer hears the shifted pitch (the original's
audio-tensor-utils example)."""

import asyncio
import json

import numpy as np
import pytest
from aiortc.mediastreams import MediaStreamError

import comfystream_client as cc

NODE = lambda t, **inputs: {"class_type": t, "inputs": inputs}  # noqa: E731


def pitch_workflow(semitones):
    return {"1": NODE("LoadAudioTensor", buffer_size=200.0),
            "2": NODE("PitchShifter", audio=["1", 0], pitch_shift=float(semitones)),
            "3": NODE("SaveAudioTensor", audio=["2", 0])}


class Listener:
    """Collects the first channel of the viewer's decoded audio."""

    def __init__(self):
        self.samples = []
        self.rate = 48000

    def on_track(self, track):
        if track.kind != "audio":
            return

        async def pump():
            try:
                while True:
                    frame = await track.recv()
                    self.rate = frame.sample_rate
                    a = frame.to_ndarray().reshape(-1, len(frame.layout.channels))[:, 0]
                    self.samples.append(a.astype(np.float32))
            except MediaStreamError:
                pass
        asyncio.ensure_future(pump())

    def seconds(self):
        return sum(len(s) for s in self.samples) / self.rate

    def dominant_hz(self, last_seconds=1.0):
        x = np.concatenate(self.samples)[-int(last_seconds * self.rate):]
        x = x - x.mean()
        spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
        return np.fft.rfftfreq(len(x), 1.0 / self.rate)[int(np.argmax(spectrum))]


async def listen(server, stream, seconds=1.5):
    listener = Listener()
    viewer = await cc.whep_subscribe(server.url, stream, on_track=listener.on_track)
    # Past the buffering and the first (warm-up) blocks, then a full second of steady audio.
    await cc.wait_until(lambda: listener.seconds() >= seconds + 1.0, 20,
                        lambda: f"{seconds + 1.0}s of audio (got {listener.seconds():.2f}s)")
    return viewer, listener


async def post_prompt(server, stream, body):
    return await cc.http_request("POST", f"{server.url}/prompt?streamId={stream}",
                                 json.dumps(body).encode(), {"Content-Type": "application/json"})


@pytest.mark.timeout_s(90)
async def test_pitch_shifter_moves_the_tone_an_octave_up(server):
    async with cc.Sessions() as s:
        s.add(await cc.whip_publish(server.url, "tone", audio_track=cc.ToneTrack(frequency=440.0)))
        viewer, listener = await listen(server, "tone")
        s.add(viewer)
        assert abs(listener.dominant_hz() - 440) < 15, "passthrough audio is the tone as sent"

        r = await post_prompt(server, "tone", pitch_workflow(12))
        assert r.status == 200, r
        mark = listener.seconds()
        await cc.wait_until(lambda: listener.seconds() >= mark + 2.5, 20, "processed audio")
        assert abs(listener.dominant_hz() - 880) < 20, f"heard {listener.dominant_hz():.0f} Hz"
        stats = await server.get_json("/stream/tone/stats")
        assert stats["workflow"] == "prompt"

        # Back to a video-only workflow: audio is passed through again.
        r = await post_prompt(server, "tone", {"1": NODE("LoadTensor"),
                                               "2": NODE("SaveTensor", images=["1", 0])})
        assert r.status == 200
        mark = listener.seconds()
        await cc.wait_until(lambda: listener.seconds() >= mark + 2.0, 20, "passthrough audio")
        assert abs(listener.dominant_hz() - 440) < 15


@pytest.mark.timeout_s(60)
async def test_a_workflow_cannot_take_video_and_audio_at_once(server):
    async with cc.Sessions() as s:
        s.add(await cc.whip_publish(server.url, "av"))
        both = {"1": NODE("LoadTensor"), "2": NODE("SaveTensor", images=["1", 0]),
                "3": NODE("LoadAudioTensor", buffer_size=500.0),
                "4": NODE("SaveAudioTensor", audio=["3", 0])}
        r = await post_prompt(server, "av", both)
        assert r.status == 400 and "not both" in r.json()["error"]["message"]
        # As a list of two workflows it is fine.
        r = await post_prompt(server, "av", [{"1": NODE("LoadTensor"), "2": NODE("SaveTensor", images=["1", 0])},
                                             pitch_workflow(4)])
        assert r.status == 200, r
