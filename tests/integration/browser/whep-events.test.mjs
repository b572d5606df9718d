// WHEP server-sent events in headless Chromium: the page publishes and views through the web UI's
// hooks, then reads the WHEP session's event stream with the browser's own EventSource.
//
//   node --test tests/integration/browser/whep-events.test.mjs   (env COMFYSTREAM_BIN)
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { expectFramesFlowing, hook, suite, until } from './harness.mjs';

describe('WHEP server-sent events in headless Chromium', { timeout: 120_000 }, () => {
  const env = suite();

  test('EventSource hears active, viewercount, inactive, and the end of the session', { timeout: 90_000 }, async () => env.withContext(async () => {
    const ui = await env.newUi('events');
    const { page } = ui;
    try {
      await hook(page, 'publish', {
        streamId: 'sse', workflow: 'invert', source: 'pattern', codec: 'VP8', width: 320, height: 240, fps: 30, audio: false,
      });
      await hook(page, 'view', { streamId: 'sse' });
      const s = await expectFramesFlowing(ui);
      const location = s.viewer.location;
      assert.match(location ?? '', /^\/whep\/[0-9a-f]{32}$/, 'WHEP Location');

      const created = await page.evaluate(async (loc) => {
        const r = await fetch(`${loc}/sse`, {
          method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '["active","inactive","viewercount"]',
        });
        window.sse = { events: [], errors: 0 };
        const es = new EventSource(r.headers.get('Location'));
        window.sse.source = es;
        for (const type of ['active', 'inactive', 'viewercount']) {
          es.addEventListener(type, (e) => window.sse.events.push([type, JSON.parse(e.data)]));
        }
        es.onerror = () => { window.sse.errors += 1; };
        return { status: r.status, location: r.headers.get('Location') };
      }, location);
      assert.equal(created.status, 201, 'POST /whep/{id}/sse');
      assert.match(created.location ?? '', new RegExp(`^${location}/sse/[0-9a-f]{32}$`), 'event stream Location');

      const events = () => page.evaluate(() => window.sse.events);
      const has = (list, type, data) => list.some(([t, d]) => t === type && JSON.stringify(d) === JSON.stringify(data));
      await until('active and viewercount 1', events, (l) => has(l, 'active', {}) && has(l, 'viewercount', { viewercount: 1 }));
      assert.ok(!has(await events(), 'inactive', {}), 'no inactive first');

      assert.equal(await hook(page, 'unpublish'), 200, 'DELETE /whip/{id}');
      await until('inactive', events, (l) => has(l, 'inactive', {}));

      // The WHEP session ends: the response ends, the browser reconnects, gets 404 and gives up.
      assert.equal(await hook(page, 'stopView'), 200, 'DELETE /whep/{id}');
      await until('EventSource closed', () => page.evaluate(() => window.sse.source.readyState), (r) => r === 2);
      assert.deepEqual(ui.errors, [], 'page errors');
    } finally {
      await page.close();
    }
  }));
});
