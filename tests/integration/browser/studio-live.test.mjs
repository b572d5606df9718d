// Issue 11 point 4, while live: the "warming up" overlay until processed frames are shown, the
// stream's figures (fps in and out, server latency, drops, viewers) present and plausible, a
// second page viewing raises the viewer count on the first, stopping the publisher tells the
// viewer in words; the control channel answers; a refused workflow is shown. Clicks where a
// user would click; figures read through window.comfystream.figures().
//
//   node --test tests/integration/browser/studio-live.test.mjs   (env COMFYSTREAM_BIN)
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hook, request, screenshot, stats, suite, until } from './harness.mjs';

const figures = (ui) => ui.page.evaluate(() => window.comfystream.figures());
const toasts = (ui) => ui.page.evaluate(() => [...document.querySelectorAll('#toasts .toast')].map((t) => t.textContent));
const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

describe('studio while live', { timeout: 150_000 }, () => {
  const env = suite();

  test('overlay, then frames; figures; viewer count; the publisher stopping is told', { timeout: 90_000 }, async () => env.withContext(async () => {
    const a = await env.newUi('studio');
    const { page } = a;
    const streamId = 'live-panel';
    await page.fill('#stream-id', streamId);
    await page.selectOption('#source', 'pattern');
    await page.selectOption('#mic', 'none');
    await page.selectOption('#size', '320x240');

    // Viewing first: no publisher yet, the overlay says so and stays.
    await page.click('#view');
    await until('the overlay to wait for the publisher', () => page.evaluate(() => {
      const o = document.getElementById('warmup');
      return { visible: !o.hidden, text: o.textContent };
    }), (o) => o.visible && /waiting for the publisher/.test(o.text));
    assert.equal(await page.isVisible('#warmup'), true, 'overlay on screen');

    await page.click('#publish');
    await until('publisher connected', () => stats(a), (s) => s.publisher?.connectionState === 'connected');
    // The overlay goes once processed frames are shown, not before.
    const f1 = await until('the overlay to go with frames shown', () => figures(a),
      (f) => !f.overlay && f.framesShown >= 6, { timeout: 25_000 });
    assert.ok(f1.framesShown >= 6, 'at least 6 frames shown before the overlay went');
    assert.equal(await page.isVisible('#warmup'), false, 'overlay gone');
    assert.ok((await stats(a)).viewer.framesDecoded > 0, 'the viewer decodes frames');

    // The figures: numbers, plausible, from the server's stats and /metrics.
    const f = await until('figures from the server', () => figures(a),
      (x) => isNum(x.fpsOut) && x.fpsOut > 0 && isNum(x.fpsIn) && x.fpsIn > 0 && isNum(x.latencyMs)
        && isNum(x.processed) && x.processed > 0 && x.viewers === 1 && isNum(x.dropped), { timeout: 20_000 });
    assert.ok(f.fpsIn <= 120 && f.fpsOut <= 120, `fps in ${f.fpsIn}, out ${f.fpsOut}`);
    assert.ok(f.latencyMs >= 0 && f.latencyMs < 60_000, `server latency ${f.latencyMs} ms`);
    assert.ok(f.dropped >= 0, `dropped ${f.dropped}`);
    const shown = await page.evaluate(() => ({
      fpsOut: document.getElementById('fig-fps-out').textContent,
      viewers: document.getElementById('fig-viewers').textContent,
      latency: document.getElementById('fig-latency').textContent,
    }));
    assert.match(shown.fpsOut, /^\d+(\.\d)?$/, `fps out on screen: ${shown.fpsOut}`);
    assert.equal(shown.viewers, '1', 'viewers on screen');
    assert.match(shown.latency, /^\d+(\.\d)? ms$/, `latency on screen: ${shown.latency}`);

    // The publisher's control channel answers (the panels' request/reply).
    const nodes = await page.evaluate(() => window.comfystream.ctx.control.request({ type: 'get_nodes' }));
    assert.equal(nodes.type, 'nodes_info', `get_nodes → ${JSON.stringify(nodes)}`);
    const bad = await page.evaluate(() => window.comfystream.ctx.control.request({ type: 'update_prompts', prompts: [{ 1: { class_type: 'NoSuchNode', inputs: {} } }] })
      .then(() => 'accepted', (e) => e.message));
    assert.notEqual(bad, 'accepted', 'an unknown node is refused');

    // A second page views the stream: the first page's viewer count rises.
    const b = await env.newUi('second');
    await b.page.fill('#stream-id', streamId);
    await b.page.click('#view');
    await until('the first page to count 2 viewers', () => figures(a), (x) => x.viewers === 2);
    assert.equal(await page.textContent('#fig-viewers'), '2', 'viewers on screen');
    await screenshot(page, 'studio-live');

    // The publisher stops: the second page is told in words and waits again.
    await page.click('#unpublish');
    await until('the second page to say the stream stopped', () => toasts(b), (l) => l.some((t) => /stopped/.test(t)));
    await until('the second page to show the overlay again', () => b.page.isVisible('#warmup'), Boolean);
    await until('the second page to show nothing flowing', () => figures(b), (x) => x.fpsOut === 0 && x.fpsIn === 0);
    assert.match(await b.page.textContent('#toasts'), new RegExp(`"${streamId}" stopped`), 'the message names the stream');
    assert.equal(await b.page.getAttribute('#toasts', 'role'), 'status', 'toasts are a status region');
    await until('the first page to say it stopped publishing', () => toasts(a), (l) => l.some((t) => /Stopped publishing/.test(t)));
    // Both pages still view (and wait for a publisher): the count stays.
    assert.equal((await figures(a)).viewers, 2, 'viewers while waiting');
    await screenshot(b.page, 'studio-stream-stopped');

    assert.equal(await hook(b.page, 'stopView'), 200, 'second page DELETE');
    assert.equal(await hook(page, 'stopView'), 200, 'first page DELETE');
    assert.deepEqual([...a.errors, ...b.errors], [], 'page errors');
    await b.page.close();
    await page.close();
  }));

  test('a publisher taken over by another page is told, and stops', { timeout: 60_000 }, async () => env.withContext(async () => {
    const a = await env.newUi('first-publisher');
    const b = await env.newUi('second-publisher');
    const opts = { streamId: 'taken-over', source: 'pattern', width: 320, height: 240, audio: false };
    await hook(a.page, 'publish', opts);
    await until('first publisher connected', () => stats(a), (s) => s.publisher?.connectionState === 'connected');
    await hook(b.page, 'publish', opts);
    await until('second publisher connected', () => stats(b), (s) => s.publisher?.connectionState === 'connected');
    // The server ends the first session (takeover); its page finds out when the connection goes.
    await until('the first page to say its publishing ended', () => toasts(a), (l) => l.some((t) => /ended on the server/.test(t)),
      { timeout: 40_000 });
    assert.equal(await a.page.textContent('#pub-state'), 'ended', 'publisher badge');
    assert.equal(await a.page.isEnabled('#publish'), true, 'Publish is offered again');
    assert.equal((await stats(b)).publisher.connectionState, 'connected', 'the second publisher stays');
    assert.equal(await hook(b.page, 'unpublish'), 200, 'second page DELETE');
    assert.deepEqual([...a.errors, ...b.errors], [], 'page errors');
    await a.page.close();
    await b.page.close();
  }));

  test('a viewer session ended on the server is told, and View is offered again', { timeout: 60_000 }, async () => env.withContext(async () => {
    const ui = await env.newUi('viewer-ended');
    const { page } = ui;
    await hook(page, 'publish', { streamId: 'viewer-ended', source: 'pattern', width: 320, height: 240, audio: false });
    const { location } = await hook(page, 'view', { streamId: 'viewer-ended' });
    await until('frames shown', () => figures(ui), (f) => f.framesShown >= 6, { timeout: 25_000 });
    // Someone else ends this page's WHEP session (as an operator's DELETE would).
    assert.equal((await request(env.server, location, { method: 'DELETE' })).status, 200, 'DELETE from outside');
    await until('the page to say its viewing ended', () => toasts(ui), (l) => l.some((t) => /Viewing "viewer-ended" ended on the server/.test(t)));
    assert.equal(await page.textContent('#view-state'), 'ended', 'viewer badge');
    assert.equal(await page.isEnabled('#view'), true, 'View is offered again');
    assert.equal((await stats(ui)).publisher.connectionState, 'connected', 'publishing goes on');
    assert.equal(await hook(page, 'unpublish'), 200, 'DELETE /whip/{id}');
    assert.deepEqual(ui.errors, [], 'page errors');
    await page.close();
  }));

  test('a refused workflow and a server error are shown in words', { timeout: 40_000 }, async () => env.withContext(async () => {
    const ui = await env.newUi('refused');
    const { page } = ui;
    const result = await page.evaluate(() => window.comfystream.publish({
      streamId: 'refused', workflow: 'no-such-workflow', source: 'pattern', width: 320, height: 240, audio: false,
    }).then(() => 'published', (e) => e.message));
    assert.match(result, /→ 400/, 'an unknown workflow is a 400');
    assert.equal(await page.isVisible('#error'), true, 'the error box is on screen');
    assert.match(await page.textContent('#error-text'), /400/, 'it shows the status');
    await until('a toast says so', () => toasts(ui), (l) => l.length > 0);
    assert.equal(await page.textContent('#pub-state'), 'error', 'publisher badge');
    await screenshot(page, 'studio-error');
    assert.deepEqual(ui.errors, [], 'page errors');
    await page.close();
  }));
});
