// Issue 11 point 1, set-up: in headless Chromium a user picks the fake camera, "No audio" and a
// custom size, publishes, and the server receives that size, letterboxed (black bars, never
// stretched); the viewer link opens view.html, which plays the stream. Clicks, not hooks.
//
//   node --test tests/integration/browser/studio-setup.test.mjs   (env COMFYSTREAM_BIN)
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getJson, screenshot, stats, suite, until } from './harness.mjs';

const publicId = (location) => createHash('sha256')
  .update(`comfystream-public:${location.split('/').pop()}`).digest('hex').slice(0, 16);

describe('studio set-up', { timeout: 120_000 }, () => {
  const env = suite();

  test('camera picker, "No audio", a custom size snapped to 64: the server gets that size, letterboxed', { timeout: 60_000 }, async () => env.withContext(async () => {
    const ui = await env.newUi('setup');
    const { page } = ui;
    await screenshot(page, 'studio-idle');

    // Opening the picker asks for the devices once; the fake camera then appears by name.
    await page.click('#source');
    const cameras = await until('the camera picker to list the fake camera', () => page.evaluate(
      () => [...document.querySelectorAll('#source option')].filter((o) => o.value.startsWith('device:'))
        .map((o) => ({ value: o.value, label: o.text }))), (l) => l.length > 0);
    assert.ok(cameras[0].label, 'the camera has a name');
    const labels = await page.evaluate(() => ({
      video: [...document.querySelectorAll('#source option')].map((o) => o.text),
      audio: [...document.querySelectorAll('#mic option')].map((o) => o.text),
    }));
    assert.ok(labels.video.includes('No video') && labels.video.includes('test pattern'), `video choices: ${labels.video}`);
    assert.ok(labels.audio.includes('No audio'), `audio choices: ${labels.audio}`);
    assert.ok(labels.audio.length > 3, `the fake microphones are listed: ${labels.audio}`);

    await page.fill('#stream-id', 'setup-cam');
    await page.selectOption('#source', cameras[0].value);
    await page.selectOption('#mic', 'none');
    assert.equal(await page.inputValue('#width'), '512', 'default width');
    assert.equal(await page.inputValue('#height'), '512', 'default height');
    await page.selectOption('#size', 'custom');
    await page.fill('#width', '384');
    await page.press('#width', 'Tab');
    await page.fill('#height', '250');
    await page.press('#height', 'Tab');
    assert.equal(await page.inputValue('#height'), '256', '250 snaps to the nearest multiple of 64');
    await page.fill('#fps', '20');

    await page.click('#publish');
    const s = await until('publisher connected', () => stats(ui),
      (x) => x.publisher?.connectionState === 'connected', { timeout: 20_000 });
    assert.deepEqual([s.publisher.sourceWidth, s.publisher.sourceHeight], [384, 256], 'published size');
    const whipId = publicId(s.publisher.location);
    const whip = await until('/whip-stats to show the stream size', () => getJson(env.server, '/whip-stats'),
      (all) => all[whipId]?.width > 0);
    assert.deepEqual([whip[whipId].width, whip[whipId].height], [384, 256], 'the server decodes 384×256');
    assert.equal(whip[whipId].has_audio, false, '"No audio" publishes no audio track');
    assert.equal(whip[whipId].has_video, true, 'video published');

    // The fake camera is 4:3 and the canvas 3:2: the picture keeps its shape, with black bars
    // left and right. Read the published canvas back through the input preview.
    const bars = await page.evaluate(async () => {
      const video = document.getElementById('input-video');
      await new Promise((r) => { if (video.videoWidth) r(); else video.addEventListener('loadeddata', r, { once: true }); });
      const c = document.createElement('canvas');
      c.width = video.videoWidth;
      c.height = video.videoHeight;
      const g = c.getContext('2d', { willReadFrequently: true });
      g.drawImage(video, 0, 0);
      const mean = (x, w) => {
        const d = g.getImageData(x, 0, w, c.height).data;
        let sum = 0;
        for (let i = 0; i < d.length; i += 4) sum += d[i] + d[i + 1] + d[i + 2];
        return sum / (d.length / 4) / 3;
      };
      return { size: [c.width, c.height], left: mean(0, 8), right: mean(c.width - 8, 8), middle: mean(c.width / 2 - 20, 40) };
    });
    assert.deepEqual(bars.size, [384, 256], 'input preview = the published canvas');
    assert.ok(bars.left < 8 && bars.right < 8, `black bars at both sides: ${JSON.stringify(bars)}`);
    assert.ok(bars.middle > 20, `the camera picture in the middle: ${JSON.stringify(bars)}`);
    await screenshot(page, 'studio-setup-live');

    // The viewer link: view.html for this stream, no token in it; it plays the stream.
    const href = await page.getAttribute('#viewer-link', 'href');
    const link = new URL(href);
    assert.equal(link.pathname, '/view.html', `viewer link: ${href}`);
    assert.equal(link.searchParams.get('streamId'), 'setup-cam', 'viewer link names the stream');
    assert.ok(!/token/i.test(href), 'no token in the viewer link');
    const viewerPage = await env.browser.context.newPage();
    const viewerErrors = [];
    viewerPage.on('pageerror', (e) => viewerErrors.push(e.message));
    await viewerPage.goto(href);
    const vs = await until('view.html to decode frames', () => viewerPage.evaluate(() => window.comfystreamViewer?.state()),
      (x) => x?.framesDecoded > 10 && x.width === 384, { timeout: 25_000 });
    assert.deepEqual([vs.width, vs.height], [384, 256], 'view.html decodes the published size');
    await until('view.html to show the viewer count and the stream live', () => viewerPage.evaluate(() => window.comfystreamViewer.state()),
      (x) => x.viewers === 1 && x.active === true);
    await screenshot(viewerPage, 'view-page');
    assert.equal(await viewerPage.evaluate(() => window.comfystreamViewer.stopView()), 200, 'view.html DELETE');
    await viewerPage.close();
    assert.deepEqual(viewerErrors, [], 'view.html page errors');

    await page.click('#unpublish');
    await until(`publisher ${whipId} to leave /whip-stats`, () => getJson(env.server, '/whip-stats'), (all) => !(whipId in all));
    assert.deepEqual(ui.errors, [], 'page errors');
    await page.close();
  }));

  test('"No video" publishes audio only; no source at all is refused in words', { timeout: 40_000 }, async () => env.withContext(async () => {
    const ui = await env.newUi('audio-only');
    const { page } = ui;
    await page.fill('#stream-id', 'setup-audio');
    await page.selectOption('#source', 'none');
    await page.selectOption('#mic', 'none');
    await page.click('#publish');
    await until('the page to refuse nothing to publish', () => page.isVisible('#error'), Boolean);
    assert.match(await page.textContent('#error-text'), /choose a video or an audio source/);

    await page.selectOption('#mic', 'tone');
    await page.click('#publish');
    const s = await until('publisher connected', () => stats(ui), (x) => x.publisher?.connectionState === 'connected');
    assert.equal(await page.isVisible('#error'), false, 'the error is gone');
    const whipId = publicId(s.publisher.location);
    const whip = (await getJson(env.server, '/whip-stats'))[whipId];
    assert.equal(whip.has_video, false, 'no video track');
    assert.equal(whip.has_audio, true, 'the tone is published');
    await until('the tone to be sent', () => stats(ui), (x) => x.publisher.audioPacketsSent > 0);
    await page.click('#unpublish');
    await until(`publisher ${whipId} to leave /whip-stats`, () => getJson(env.server, '/whip-stats'), (all) => !(whipId in all));
    assert.deepEqual(ui.errors, [], 'page errors');
    await page.close();
  }));
});
