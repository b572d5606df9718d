// Issue 11 point 6, where users are: a phone-sized screen (375×667: no horizontal scroll, the
// set-up and the buttons on screen and usable) and a server that asks for a Bearer token (a
// clear 401 without it; publish and view with the Token field filled; the token never in a URL,
// kept in the tab's sessionStorage). HTTPS is security.test.mjs's.
//
//   node --test tests/integration/browser/studio-where.test.mjs   (env COMFYSTREAM_BIN)
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { expectFramesFlowing, screenshot, stats, suite, until } from './harness.mjs';

const TOKEN = 'studio-secret-42';

// No horizontal scroll, and each element in the viewport's width with a size a finger can hit.
async function expectFits(page, ids) {
  const m = await page.evaluate((list) => ({
    scrollWidth: document.scrollingElement.scrollWidth,
    innerWidth,
    boxes: Object.fromEntries(list.map((id) => {
      const r = document.getElementById(id).getBoundingClientRect();
      return [id, { left: r.left, right: r.right, width: r.width, height: r.height }];
    })),
  }), ids);
  assert.ok(m.scrollWidth <= m.innerWidth, `no horizontal scroll: scrollWidth ${m.scrollWidth} > innerWidth ${m.innerWidth}`);
  for (const [id, r] of Object.entries(m.boxes)) {
    assert.ok(r.left >= 0 && r.right <= m.innerWidth, `#${id} inside the screen: ${JSON.stringify(r)}`);
    assert.ok(r.width >= 24 && r.height >= 24, `#${id} big enough to tap: ${JSON.stringify(r)}`);
  }
  for (const id of ids) assert.equal(await page.isVisible(`#${id}`), true, `#${id} visible`);
}

describe('studio where users are', { timeout: 150_000 }, () => {
  const env = suite({ server: { args: ['--auth-token', TOKEN] } });

  test('a token server: 401 in words without the token, publish and view with the Token field, on a phone screen', { timeout: 90_000 }, async () => env.withContext(async () => {
    const ui = await env.newUi('phone');
    const { page } = ui;
    await page.setViewportSize({ width: 375, height: 667 });
    const keys = ['stream-id', 'source', 'mic', 'token', 'publish', 'unpublish', 'view', 'unview', 'output-video'];
    await expectFits(page, keys);
    await screenshot(page, 'studio-phone-idle');

    await page.fill('#stream-id', 'phone');
    await page.selectOption('#source', 'pattern');
    await page.selectOption('#mic', 'none');
    await page.selectOption('#size', '320x240');

    // No token: the server's 401, and what to do about it.
    await page.click('#publish');
    await until('the 401 on screen', () => page.isVisible('#error'), Boolean);
    const text = await page.textContent('#error-text');
    assert.match(text, /401/, `the 401: ${text}`);
    assert.match(text, /Token field/, `says where the token goes: ${text}`);
    await expectFits(page, ['error', 'publish']);
    await screenshot(page, 'studio-phone-401');

    // The token, typed into the field: publish and view work.
    await page.fill('#token', TOKEN);
    await page.click('#publish');
    await until('publisher connected', () => stats(ui), (s) => s.publisher?.connectionState === 'connected');
    assert.equal(await page.isVisible('#error'), false, 'the error is gone');
    await page.click('#view');
    const s = await expectFramesFlowing(ui, { min: 10 });
    assert.deepEqual([s.viewer.frameWidth, s.viewer.frameHeight], [320, 240], 'decoded size');
    await until('the overlay to go', () => page.isVisible('#warmup'), (v) => v === false);
    await until('the stream figures on a token server', () => page.evaluate(() => window.comfystream.figures()),
      (f) => f.processed > 0 && f.viewers === 1 && f.fpsIn > 0);
    await expectFits(page, keys);
    await screenshot(page, 'studio-phone-live');

    // The token never goes into a URL; the tab keeps it (sessionStorage) across a reload.
    assert.ok(!page.url().includes(TOKEN), 'not in the page URL');
    assert.ok(!(await page.getAttribute('#viewer-link', 'href')).includes(TOKEN), 'not in the viewer link');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('comfystream.token')), TOKEN, 'sessionStorage');
    assert.equal(await page.evaluate(() => localStorage.length), 0, 'nothing in localStorage');

    await page.click('#unview');
    await page.click('#unpublish');
    await until('buttons back to idle', () => page.isEnabled('#publish'), Boolean);
    await page.reload();
    await page.waitForFunction(() => typeof window.comfystream?.publish === 'function');
    assert.equal(await page.inputValue('#token'), TOKEN, 'the token field is kept in the tab after a reload');
    assert.deepEqual(ui.errors, [], 'page errors');
    await page.close();
  }));
});
