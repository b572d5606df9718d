// The studio's pushes panel, clicked through as a user would in headless Chromium: publish the
// test pattern, push the stream from the panel to the same server's own WHIP endpoint under
// another stream id, see the push go live, view the pushed stream in a second page, stop the push;
// a destination that refuses (failed, with its answer); and a server without --push-allow, where
// the panel says pushes are disabled and why.
//
//   node --test tests/integration/browser/studio-pushes.test.mjs   (env COMFYSTREAM_BIN)

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { expectFramesFlowing, hook, screenshot, stats, suite, until } from './harness.mjs';
import { openStudio } from './studio-steps.mjs';

// The panel's rows as the user sees them, newest first.
const rows = (page) => page.$$eval('#push-list tbody tr', (trs) => trs.map((tr) => ({
  id: tr.dataset.pushId,
  state: tr.dataset.state,
  stateText: tr.querySelector('.push-state').textContent,
  url: tr.querySelector('.push-url').textContent,
  attempts: Number(tr.querySelector('.push-attempts').textContent),
  frames: tr.querySelector('.push-frames').textContent,
  error: tr.querySelector('.push-error').textContent,
})));

// The panel's non-DOM half, in Node.
describe('web/lib/pushes.js and poller.js', () => {
  test('a 403 that means pushes are off is told apart from a destination not allowed', async () => {
    const lib = await import('../../../web/lib/pushes.js');
    const err = (status, detail = '') => Object.assign(new Error(`→ ${status}`), { status, detail });
    const off = err(403, 'pushes are disabled on this server (start it with --push-allow)');
    assert.ok(lib.pushesDisabled(off));
    assert.match(lib.pushErrorText('start', off, 's'), /^Pushes are disabled on this server: .*--push-allow/);
    const elsewhere = err(403, 'pushing to example.com is not allowed (--push-allow)');
    assert.ok(!lib.pushesDisabled(elsewhere));
    assert.match(lib.pushErrorText('start', elsewhere, 's'), /may not push there/);
    assert.match(lib.pushErrorText('start', err(409), 's'), /start publishing first/);
    assert.ok(lib.pushEnded({ state: 'failed' }) && lib.pushEnded({ state: 'stopped' }) && !lib.pushEnded({ state: 'retrying' }));
  });

  test('Poller: never two runs at once; a trigger during a run makes exactly one more', async () => {
    const { Poller } = await import('../../../web/lib/poller.js');
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    let release;
    const poller = new Poller(async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      runs++;
      await new Promise((resolve) => { release = resolve; });
      running--;
    }, { interval: 60_000 });
    const first = poller.trigger();
    poller.trigger();
    poller.trigger();
    await until('the first run to wait', () => runs, (n) => n === 1);
    release();
    await until('the one extra run', () => runs, (n) => n === 2);
    release();
    await first;
    assert.equal(runs, 2, 'three triggers during one run: two runs');
    assert.equal(maxRunning, 1, 'never two at once');
    assert.equal(poller.active, false, 'inactive: nothing scheduled');
    poller.stop();
  });
});

describe('studio: pushes panel', { timeout: 120_000 }, () => {
  const env = suite({ server: false });

  test('push the stream to this server\'s own WHIP endpoint, view it there, stop it', { timeout: 70_000 }, async (t) => env.withContext(async () => {
    const server = await env.newServer({ args: ['--push-allow', '127.0.0.1'] });
    const source = 'studio-push-src';
    const target = 'pushed';
    const ui = await openStudio(env, 'pusher', source, { server });
    const { page } = ui;

    await hook(page, 'publish', {
      streamId: source, workflow: 'invert', source: 'pattern', codec: 'H264', width: 320, height: 240, fps: 30, audio: true,
    });
    await until('publisher connected', () => stats(ui), (s) => s.publisher?.connectionState === 'connected',
      { timeout: 20_000 });

    await page.locator('#pushes-panel').scrollIntoViewIfNeeded();
    const url = `${server.base}/whip?streamId=${target}`;
    await page.fill('#push-url', url);
    await page.click('#push-start');
    const live = await until('the push listed as live', () => rows(page),
      (r) => r.length === 1 && r[0].state === 'live', { timeout: 20_000 });
    assert.equal(live[0].url, url, 'the row shows where it goes');
    assert.equal(live[0].stateText, 'live');
    assert.ok(live[0].attempts >= 1, `attempts ${live[0].attempts}`);

    // A viewer of the pushed stream, in a second page, gets its frames.
    const viewer = await openStudio(env, 'viewer', target, { server });
    await hook(viewer.page, 'view', { streamId: target });
    const seen = await expectFramesFlowing(viewer, { min: 15 });
    t.diagnostic(`viewer of "${target}": ${seen.viewer.framesDecoded} frames, ${seen.viewer.frameWidth}x${seen.viewer.frameHeight}`);
    assert.deepEqual([seen.viewer.frameWidth, seen.viewer.frameHeight], [320, 240], 'the pushed stream has the published size');
    const sending = await until('the panel to count frames sent', () => rows(page),
      (r) => Number(r[0].frames.split(' / ')[0]) > 0, { timeout: 10_000 });
    t.diagnostic(`push row: ${JSON.stringify(sending[0])}`);
    await screenshot(page, 'studio-pushes');

    // On a phone-sized screen the rows become cards: nothing scrolls sideways.
    await page.setViewportSize({ width: 375, height: 667 });
    await page.locator('#pushes-panel').scrollIntoViewIfNeeded();
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth),
      'no horizontal scroll at 375 px');
    await screenshot(page, 'studio-phone-pushes', { fullPage: false });
    await page.setViewportSize({ width: 1280, height: 900 });

    await page.click(`#push-list tr[data-push-id="${live[0].id}"] .push-stop`);
    const stopped = await until('the push listed as stopped', () => rows(page),
      (r) => r[0].state === 'stopped', { timeout: 20_000 });
    assert.equal(stopped[0].id, live[0].id, 'the same push');
    assert.ok(await page.isHidden(`#push-list tr[data-push-id="${live[0].id}"] .push-stop`), 'no Stop on a stopped push');
    assert.match(await page.textContent('#push-message'), /stopped/, 'the panel says so');

    await hook(viewer.page, 'stopView');
    await hook(page, 'unpublish');
    assert.deepEqual([...ui.errors, ...viewer.errors], [], 'page errors');
    await viewer.page.close();
    await page.close();
  }));

  test('a host not allowed is refused in words; a destination that refuses the offer is listed as failed, with its answer', { timeout: 40_000 }, async () => env.withContext(async () => {
    const server = await env.newServer({ args: ['--push-allow', '127.0.0.1'] });
    const source = 'studio-push-refused';
    const ui = await openStudio(env, 'refused', source, { server });
    const { page } = ui;
    await hook(page, 'publish', { streamId: source, source: 'pattern', codec: 'H264', width: 320, height: 240, audio: false });
    await until('publisher connected', () => stats(ui), (s) => s.publisher?.connectionState === 'connected',
      { timeout: 20_000 });
    await page.locator('#pushes-panel').scrollIntoViewIfNeeded();
    // A host --push-allow does not name is refused before anything starts.
    await page.fill('#push-url', 'https://ingest.example.com/whip/live');
    await page.click('#push-start');
    const notAllowed = await until('the panel to say this host is not allowed', () => page.textContent('#push-message'),
      (text) => /may not push there/.test(text), { timeout: 5000 });
    assert.match(notAllowed, /ingest\.example\.com/, notAllowed);
    assert.ok(await page.isHidden('#push-disabled'), 'pushes are not disabled here');
    // This server has no such route: a 404, which retrying cannot fix.
    await page.fill('#push-url', `${server.base}/no-whip-here`);
    await page.click('#push-start');
    const failedRow = await until('the push listed as failed', () => rows(page),
      (r) => r.length === 1 && r[0].state === 'failed', { timeout: 20_000 });
    assert.match(failedRow[0].error, /404/, `last_error shown: ${failedRow[0].error}`);
    assert.ok(await page.isHidden(`#push-list tr[data-push-id="${failedRow[0].id}"] .push-stop`), 'no Stop on a failed push');
    await hook(page, 'unpublish');
    assert.deepEqual(ui.errors, [], 'page errors');
    await page.close();
  }));

  test('a server without --push-allow: the panel says pushes are disabled, and why', { timeout: 40_000 }, async () => env.withContext(async () => {
    const server = await env.newServer();
    const ui = await openStudio(env, 'no-push', 'studio-push-off', { server });
    const { page } = ui;
    await page.locator('#pushes-panel').scrollIntoViewIfNeeded();
    assert.ok(await page.isHidden('#push-disabled'), 'no notice before asking');
    await page.fill('#push-url', 'https://ingest.example.com/whip/live');
    await page.click('#push-start');
    const text = await until('the disabled notice', () => page.$eval('#push-disabled', (el) => (el.hidden ? '' : el.textContent)),
      Boolean, { timeout: 5000 });
    assert.match(text, /Pushes are disabled on this server/, text);
    assert.match(text, /--push-allow/, 'says how to allow them');
    assert.equal(await page.locator('#push-list tbody tr').count(), 0, 'nothing listed');
    assert.deepEqual(ui.errors, [], 'page errors');
    await page.close();
  }));
});
