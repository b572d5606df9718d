// Issue 11 point 7, structure: the page's WebRTC client lives in web/lib/ without DOM, reusable
// by other pages (view.html is one). Here in Node, without a browser: the modules that need no
// browser API are imported and exercised as a page would (control-channel request/reply, the
// /metrics reader, the Link header, Retry-After, the letterbox), and no lib module touches the
// page's DOM.
//
//   node --test tests/integration/browser/studio-structure.test.mjs
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from './harness.mjs';

const lib = path.join(repoRoot, 'web/lib');
const load = (name) => import(path.join(lib, name));

// A data channel stand-in: records what was sent; the test answers with reply().
class FakeChannel extends EventTarget {
  constructor() {
    super();
    this.sent = [];
  }

  send(text) { this.sent.push(JSON.parse(text)); }

  reply(obj) { this.dispatchEvent(Object.assign(new Event('message'), { data: JSON.stringify(obj) })); }
}

describe('web/lib without a browser', () => {
  test('no lib module reaches into the page (getElementById, querySelector, innerHTML, window.)', () => {
    for (const file of fs.readdirSync(lib).filter((f) => f.endsWith('.js'))) {
      const text = fs.readFileSync(path.join(lib, file), 'utf8').replace(/^\s*\/\/.*$/gm, '');
      assert.doesNotMatch(text, /getElementById|querySelector|innerHTML|\bwindow\./, `web/lib/${file} touches the DOM`);
    }
  });

  test('ControlChannel: one request at a time, matched by reply type; errors and timeouts reject', async () => {
    const { ControlChannel } = await load('control.js');
    const ch = new FakeChannel();
    const control = new ControlChannel(ch, { timeoutMs: 200 });
    const nodes = control.request({ type: 'get_nodes' });
    const update = control.request({ type: 'update_prompts', prompts: [{}] });
    assert.deepEqual(ch.sent.map((m) => m.type), ['get_nodes'], 'the second waits for the first reply');
    ch.reply({ type: 'prompts_updated', success: true }); // not the awaited type: ignored
    ch.reply({ type: 'nodes_info', nodes: { 0: {} } });
    assert.deepEqual(await nodes, { type: 'nodes_info', nodes: { 0: {} } });
    assert.deepEqual(ch.sent.map((m) => m.type), ['get_nodes', 'update_prompts'], 'then the second goes');
    ch.reply({ type: 'prompts_updated', success: false, error: 'bad input', node_errors: { 4: {} } });
    const refused = await update.then(() => null, (e) => e);
    assert.equal(refused?.name, 'ControlError');
    assert.equal(refused.message, 'bad input');
    assert.deepEqual(refused.reply.node_errors, { 4: {} }, 'node_errors kept for the panel');

    const err = control.request({ type: 'pause_prompts' });
    ch.reply({ type: 'error', success: false, error: 'unknown type' });
    assert.equal((await err.then(() => null, (e) => e)).message, 'unknown type');

    const late = await control.request({ type: 'resume_prompts' }).then(() => null, (e) => e);
    assert.match(late.message, /no prompts_resumed reply/, 'a deadline');
    const stop = control.request({ type: 'stop_prompts' });
    ch.reply({ type: 'prompts_stopped', success: true });
    assert.equal((await stop).type, 'prompts_stopped', 'the channel works after a timeout');

    assert.match((await control.request({ type: 'nope' }).catch((e) => e)).message, /unknown control request/);
    const pending = control.request({ type: 'get_nodes' });
    ch.dispatchEvent(new Event('close'));
    assert.match((await pending.catch((e) => e)).message, /closed/, 'closing rejects what waits');
    assert.match((await control.request({ type: 'get_nodes' }).catch((e) => e)).message, /closed/);
  });

  test('streamMetrics reads one stream out of /metrics', async () => {
    const { parseMetrics, streamMetrics } = await load('metrics.js');
    const text = [
      '# HELP stream_fps fps', '# TYPE stream_fps gauge',
      'stream_fps{stream_id="a"} 29.5', 'stream_fps{stream_id="b \\"q\\""} 3',
      'comfystream_stream_input_fps{stream_id="a"} 30',
      'comfystream_stream_viewers{stream_id="a"} 2',
      'comfystream_stream_frames_dropped_total{stream_id="a",reason="busy"} 4',
      'comfystream_stream_frames_dropped_total{stream_id="a",reason="viewer"} 1',
      'comfystream_stream_server_latency_seconds_bucket{stream_id="a",le="0.005"} 10',
      'comfystream_stream_server_latency_seconds_sum{stream_id="a"} 0.05',
      'comfystream_stream_server_latency_seconds_count{stream_id="a"} 10',
      'comfystream_streams 2', '',
    ].join('\n');
    assert.equal(parseMetrics(text).find((s) => s.labels.stream_id === 'b "q"')?.value, 3, 'escaped label');
    const a = streamMetrics(text, 'a');
    assert.equal(a.outputFps, 29.5);
    assert.equal(a.inputFps, 30);
    assert.equal(a.viewers, 2);
    assert.deepEqual(a.dropped, { busy: 4, viewer: 1 });
    assert.equal(a.droppedTotal, 5);
    assert.ok(Math.abs(a.latencyMeanMs - 5) < 1e-9, `mean latency ${a.latencyMeanMs}`);
    assert.equal(streamMetrics(text, 'none'), null);
  });

  test('ICE servers from ?ice= and from the Link header', async () => {
    const { iceServersFromLink, iceServersFromParam } = await load('ice.js');
    assert.deepEqual(iceServersFromParam(' stun:a:3478 ,turn:b '), [{ urls: 'stun:a:3478' }, { urls: 'turn:b' }]);
    assert.deepEqual(iceServersFromParam(null), []);
    const link = '<stun:s.example:3478>; rel="ice-server", </whep/x/sse>; rel="urn:ietf:params:whep:ext:core:server-sent-events", '
      + '<turn:t.example:3478?transport=udp>; rel="ice-server"; username="u1"; credential="p1"; credential-type="password"';
    assert.deepEqual(iceServersFromLink(link), [
      { urls: 'stun:s.example:3478', username: undefined, credential: undefined },
      { urls: 'turn:t.example:3478?transport=udp', username: 'u1', credential: 'p1' },
    ]);
  });

  test('Retry-After and the letterbox', async () => {
    const { retryAfterMs } = await load('signaling.js');
    assert.equal(retryAfterMs('3'), 3000);
    assert.equal(retryAfterMs(null), null);
    assert.equal(retryAfterMs('soon'), null);
    const { letterbox } = await load('capture.js');
    assert.deepEqual(letterbox(640, 480, 384, 256), { x: 21, y: 0, w: 341, h: 256 }, '4:3 into 3:2: bars left and right');
    assert.deepEqual(letterbox(1280, 720, 512, 512), { x: 0, y: 112, w: 512, h: 288 }, '16:9 into a square: bars above and below');
    assert.deepEqual(letterbox(0, 0, 512, 512), { x: 0, y: 0, w: 512, h: 512 }, 'no picture yet');
  });
});
