// End-to-end test: headless Chromium publishes over WHIP through the web UI, the server runs the
// `invert` workflow, Chromium views the result over WHEP.
//
//   node --test tests/integration/browser/        (env COMFYSTREAM_BIN, default build/comfystream)
//
// Needs `npm ci` in this folder (playwright-core only) and Debian's /usr/bin/chromium.

import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { expectFramesFlowing, getJson, hook, sampleBlocks, stats, suite, until } from './harness.mjs';

const resourceId = (location) => location.split('/').pop();
// How the stats name a session: SHA-256 of its resource id, 16 hex digits (never the URL itself).
const publicId = (location) => createHash('sha256')
  .update(`comfystream-public:${resourceId(location)}`).digest('hex').slice(0, 16);

describe('comfystream in headless Chromium', { timeout: 120_000 }, () => {
  const env = suite();

  test('serves the UI', async () => env.withContext(async () => {
    const index = await fetch(`${env.server.base}/`);
    assert.equal(index.status, 200, 'GET /');
    assert.match(index.headers.get('content-type') ?? '', /text\/html/, 'GET / content-type');
    assert.match(await index.text(), /<script type="module" src="app\.js">/, 'GET / is web/index.html');
    // Browsers refuse module scripts and stylesheets served with the wrong MIME type.
    const js = await fetch(`${env.server.base}/app.js`);
    assert.equal(js.status, 200, 'GET /app.js');
    assert.match(js.headers.get('content-type') ?? '', /javascript/, 'GET /app.js content-type');
    const css = await fetch(`${env.server.base}/style.css`);
    assert.equal(css.status, 200, 'GET /style.css');
    assert.match(css.headers.get('content-type') ?? '', /text\/css/, 'GET /style.css content-type');

    const ui = await env.newUi('ui');
    assert.equal(await ui.page.title(), 'comfystream');
    assert.deepEqual(await ui.page.evaluate(() => window.comfystream.iceServers), [], 'no ICE servers by default');
    assert.deepEqual(ui.errors, [], 'page errors');
    await ui.page.close();
  }));

  test('fake camera, H264, invert: publish and view in one page, driven by the buttons', { timeout: 60_000 }, async () => env.withContext(async () => {
    const ui = await env.newUi('camera');
    const { page } = ui;
    const streamId = 'camera-h264';
    await page.fill('#stream-id', streamId);
    await page.selectOption('#workflow', 'invert');
    await page.selectOption('#source', 'camera');
    await page.selectOption('#codec', 'H264');
    await page.selectOption('#size', '640x480');
    await page.selectOption('#mic', 'default');

    await page.click('#publish');
    const published = await until('publisher connected', () => stats(ui),
      (s) => s.publisher?.connectionState === 'connected', { timeout: 20_000 });
    assert.match(published.publisher.location ?? '', /^\/whip\/[0-9a-f]{32}$/, 'WHIP Location');
    assert.deepEqual([published.publisher.sourceWidth, published.publisher.sourceHeight], [640, 480], 'camera size');

    await page.click('#view');
    const s = await expectFramesFlowing(ui);
    const { publisher: p, viewer: v } = s;
    assert.equal(p.codec, 'H264', 'publisher sends H264 (setCodecPreferences)');
    assert.match(v.location ?? '', /^\/whep\/[0-9a-f]{32}$/, 'WHEP Location');
    assert.equal(v.codec, 'H264', 'the server answers H264 when the viewer offers it');
    assert.deepEqual([v.frameWidth, v.frameHeight], [p.sourceWidth, p.sourceHeight],
      'decoded size = published size');
    const shown = await until('output video to show the decoded size', () => stats(ui),
      (x) => x.viewer.videoWidth === p.sourceWidth && x.viewer.videoHeight === p.sourceHeight, { timeout: 5000 });
    assert.ok(shown);
    await until('viewer to receive audio (Opus)', () => stats(ui),
      (x) => x.viewer.audioPacketsReceived > 0 && /opus/i.test(x.viewer.audioCodec ?? ''), { timeout: 10_000 });

    const whipId = publicId(p.location);
    const whip = await getJson(env.server, '/whip-stats');
    assert.ok(whip[whipId], `/whip-stats lists ${whipId}: ${JSON.stringify(whip)}`);
    assert.equal(whip[whipId].stream_id, streamId, '/whip-stats stream_id');
    assert.equal(whip[whipId].workflow, 'invert', '/whip-stats workflow');
    assert.equal(whip[whipId].video_codec, 'H264', '/whip-stats video_codec');
    assert.deepEqual([whip[whipId].width, whip[whipId].height], [640, 480], '/whip-stats size');
    assert.ok(whip[whipId].frames_processed > 0, '/whip-stats frames_processed');
    const whepId = publicId(v.location);
    const whep = await getJson(env.server, '/whep-stats');
    assert.ok(whep[whepId], `/whep-stats lists ${whepId}: ${JSON.stringify(whep)}`);
    assert.equal(whep[whepId].stream_id, streamId, '/whep-stats stream_id');
    assert.ok(whep[whepId].frames_sent > 0, '/whep-stats frames_sent');

    assert.equal(await hook(page, 'stopView'), 200, 'DELETE /whep/{id}');
    assert.equal(await hook(page, 'unpublish'), 200, 'DELETE /whip/{id}');
    await until(`publisher ${whipId} to leave /whip-stats`, () => getJson(env.server, '/whip-stats'),
      (all) => !(whipId in all), { timeout: 5000 });
    await until(`viewer ${whepId} to leave /whep-stats`, () => getJson(env.server, '/whep-stats'),
      (all) => !(whepId in all), { timeout: 5000 });
    assert.deepEqual(ui.errors, [], 'page errors');
    await page.close();
  }));

  test('canvas pattern, VP8, invert: viewer in a second page waits for the publisher, pixels are inverted', { timeout: 60_000 }, async (t) => env.withContext(async () => {
    const streamId = 'pattern-vp8';
    const viewer = await env.newUi('viewer');
    const publisher = await env.newUi('publisher');

    // The viewer comes first: the server answers 409 (no publisher) and the page retries.
    await viewer.page.evaluate((id) => {
      window.viewResult = window.comfystream.view({ streamId: id })
        .then((r) => ({ ok: r }), (e) => ({ error: e.message }));
    }, streamId);
    await until('viewer to be told 409 (no publisher yet)', () => stats(viewer),
      (s) => (s.viewer?.retries ?? 0) >= 1, { timeout: 10_000 });

    const pub = await hook(publisher.page, 'publish', {
      streamId, workflow: 'invert', source: 'pattern', codec: 'VP8', width: 320, height: 240, fps: 30, audio: true,
    });
    assert.match(pub.location ?? '', /^\/whip\/[0-9a-f]{32}$/, 'WHIP Location');
    const viewResult = await until('viewer to get its WHEP answer', () => viewer.page.evaluate(() => window.viewResult),
      (r) => r && (r.ok || r.error), { timeout: 15_000 });
    assert.ok(viewResult.ok, `view() failed: ${viewResult.error}`);

    const s = await expectFramesFlowing(viewer);
    const p = (await stats(publisher)).publisher;
    assert.equal(p.codec, 'VP8', 'publisher sends VP8 (setCodecPreferences)');
    assert.deepEqual([s.viewer.frameWidth, s.viewer.frameHeight], [320, 240], 'decoded size = published size');
    const whip = (await getJson(env.server, '/whip-stats'))[publicId(pub.location)];
    assert.ok(whip, '/whip-stats lists the publisher');
    assert.equal(whip.video_codec, 'VP8', '/whip-stats video_codec');
    assert.equal(whip.workflow, 'invert', '/whip-stats workflow');

    // Sample the pattern's solid blocks in three decoded frames: each must be 255 - c.
    // Tolerance: inverting the Y, U and V planes lands within ~5 of 255 - c in RGB (H264 in),
    // but Chromium's VP8 encoder codes canvas frames as BT.709 full range and says so only in the
    // color-space RTP header extension, so a server that decodes the bare VP8 as BT.601 (as
    // Chromium does without the extension) lands up to ~18 off with these colours. A picture that
    // is not inverted, or inverted in Y only, is off by more than 120 in some channel.
    const { blocks } = await viewer.page.evaluate(() => window.comfystream.pattern);
    const tolerance = 30;
    for (let i = 0; i < 3; i++) {
      const samples = await viewer.page.evaluate(sampleBlocks, blocks);
      if (i === 0) t.diagnostic(`decoded blocks: ${samples.map((b) => `${b.name} rgb(${b.got})`).join(', ')}`);
      for (const b of samples) {
        const expected = b.rgb.map((c) => 255 - c);
        const ok = b.got.every((c, k) => Math.abs(c - expected[k]) <= tolerance);
        assert.ok(ok, `frame ${i}, ${b.name} block (${b.size}): got rgb(${b.got}), expected about rgb(${expected}) `
          + `= 255 - rgb(${b.rgb}), tolerance ${tolerance}`);
      }
    }

    assert.equal(await hook(viewer.page, 'stopView'), 200, 'DELETE /whep/{id}');
    assert.equal(await hook(publisher.page, 'unpublish'), 200, 'DELETE /whip/{id}');
    assert.deepEqual([...viewer.errors, ...publisher.errors], [], 'page errors');
    await viewer.page.close();
    await publisher.page.close();
  }));
});
