// Security end to end in headless Chromium: the web UI over HTTPS (publish, invert, view), and
// Bearer tokens on WHIP/WHEP from a page on another origin (401s, CORS, preflights, then media).
//
//   node --test tests/integration/browser/        (env COMFYSTREAM_BIN, default build/comfystream)
//
// Needs `npm ci` in this folder (playwright-core only), Debian's /usr/bin/chromium and the
// openssl CLI (the test certificate is made at test time).

import { createHash } from 'node:crypto';
import https from 'node:https';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  expectFramesFlowing, getJson, hook, makeTestCert, request, sampleBlocks, startStaticServer, stats, suite, until,
} from './harness.mjs';

const resourceId = (location) => location.split('/').pop();
// How the stats name a session: SHA-256 of its resource id, 16 hex digits.
const publicId = (location) => createHash('sha256')
  .update(`comfystream-public:${resourceId(location)}`).digest('hex').slice(0, 16);

// Tolerance per channel for the inverted pattern blocks; see whip-whep.test.mjs (a picture that is
// not inverted is off by more than 120 in some channel).
const TOLERANCE = 30;

// Samples the output video three times: every pattern block must come back as 255 - c.
async function expectInvertedPattern(t, ui) {
  const { blocks } = await ui.page.evaluate(() => window.comfystream.pattern);
  for (let i = 0; i < 3; i++) {
    const samples = await ui.page.evaluate(sampleBlocks, blocks);
    if (i === 0) t.diagnostic(`decoded blocks: ${samples.map((b) => `${b.name} rgb(${b.got})`).join(', ')}`);
    for (const b of samples) {
      const expected = b.rgb.map((c) => 255 - c);
      assert.ok(b.got.every((c, k) => Math.abs(c - expected[k]) <= TOLERANCE),
        `frame ${i}, ${b.name} block (${b.size}): got rgb(${b.got}), expected about rgb(${expected}) `
        + `= 255 - rgb(${b.rgb}), tolerance ${TOLERANCE}`);
    }
  }
}

describe('HTTPS: the web UI publishes and views over TLS', { timeout: 120_000 }, () => {
  let cert;
  const env = suite({
    server: () => {
      cert = makeTestCert();
      return { tls: cert };
    },
    // Trust exactly the test certificate's key, not every certificate.
    browser: () => ({ args: [`--ignore-certificate-errors-spki-list=${cert.spki}`] }),
  });

  after(() => cert?.remove());

  test('Chromium trusts the test certificate only', async () => env.withContext(async () => {
    // Another self-signed certificate, on a plain Node HTTPS server: the page must not load.
    const other = makeTestCert();
    const srv = https.createServer({ cert: fs.readFileSync(other.cert), key: fs.readFileSync(other.key) },
      (req, res) => res.end('not trusted'));
    await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
    const page = await env.browser.context.newPage();
    try {
      await assert.rejects(page.goto(`https://127.0.0.1:${srv.address().port}/`), /ERR_CERT/,
        'a certificate outside --ignore-certificate-errors-spki-list is refused');
    } finally {
      await page.close();
      srv.closeAllConnections();
      await new Promise((resolve) => srv.close(resolve));
      other.remove();
    }
    // Plain HTTP to the HTTPS port gets no page.
    const plain = await fetch(`http://127.0.0.1:${env.server.port}/health`, { signal: AbortSignal.timeout(3000) })
      .then((r) => r.status, (e) => e.name);
    assert.notEqual(plain, 200, 'plain HTTP on the HTTPS port');
  }));

  test('pattern, H264, invert: publish and view from https://127.0.0.1, pixels inverted', { timeout: 60_000 }, async (t) => env.withContext(async () => {
    const ui = await env.newUi('https');
    const { page } = ui;
    assert.match(env.server.base, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(ui.response.status(), 200, 'GET / over HTTPS');
    const tls = await ui.response.securityDetails();
    assert.ok(tls, 'the document came over TLS');
    assert.equal(tls.subjectName, '127.0.0.1', 'certificate subject (the test certificate)');
    assert.match(tls.protocol ?? '', /^TLS 1\.[23]$/, 'TLS version');
    const ctx = await page.evaluate(() => ({
      secure: window.isSecureContext,
      protocol: location.protocol,
      serverBase: window.comfystream.serverBase,
    }));
    assert.equal(ctx.secure, true, 'window.isSecureContext');
    assert.equal(ctx.protocol, 'https:', 'location.protocol');
    assert.equal(ctx.serverBase, env.server.base, 'the page talks WHIP/WHEP to its own HTTPS origin');

    const streamId = 'tls-h264';
    const pub = await hook(page, 'publish', {
      streamId, workflow: 'invert', source: 'pattern', codec: 'H264', width: 320, height: 240, fps: 30, audio: true,
    });
    assert.match(pub.location ?? '', /^\/whip\/[0-9a-f]{32}$/, 'WHIP Location');
    await until('publisher connected', () => stats(ui),
      (x) => x.publisher?.connectionState === 'connected', { timeout: 20_000 });
    const view = await hook(page, 'view', { streamId });
    assert.match(view.location ?? '', /^\/whep\/[0-9a-f]{32}$/, 'WHEP Location');

    const { publisher: p, viewer: v } = await expectFramesFlowing(ui);
    assert.equal(p.codec, 'H264', 'publisher sends H264');
    assert.equal(v.codec, 'H264', 'viewer receives H264');
    assert.deepEqual([v.frameWidth, v.frameHeight], [320, 240], 'decoded size = published size');
    await expectInvertedPattern(t, ui);

    // The stats, fetched by Node over HTTPS (trusting only the test certificate).
    const whip = (await getJson(env.server, '/whip-stats'))[publicId(pub.location)];
    assert.ok(whip, '/whip-stats lists the publisher');
    assert.equal(whip.workflow, 'invert', '/whip-stats workflow');
    assert.ok(whip.frames_processed > 0, '/whip-stats frames_processed');

    assert.equal(await hook(page, 'stopView'), 200, 'DELETE /whep/{id} over HTTPS');
    assert.equal(await hook(page, 'unpublish'), 200, 'DELETE /whip/{id} over HTTPS');
    assert.deepEqual(ui.errors, [], 'page errors');
    await page.close();
  }));
});

describe('Bearer tokens: WHIP/WHEP from a page on another origin', { timeout: 120_000 }, () => {
  const TOKEN = 'browser-secret-7f3a';
  const env = suite({ server: { args: ['--auth-token', TOKEN] } });
  let origin;

  before(async () => {
    origin = await startStaticServer();
  });

  after(async () => {
    await origin?.close();
  });

  test('the CORS preflight needs no token', async () => env.withContext(async () => {
    for (const [route, method] of [['/whip', 'POST'], ['/whep', 'POST'], [`/whip/${'0'.repeat(32)}`, 'DELETE']]) {
      const res = await request(env.server, route, {
        method: 'OPTIONS',
        headers: {
          Origin: origin.base,
          'Access-Control-Request-Method': method,
          'Access-Control-Request-Headers': 'authorization,content-type',
        },
      });
      assert.ok(res.status >= 200 && res.status < 300, `OPTIONS ${route} without a token → ${res.status}`);
      assert.equal(res.headers['access-control-allow-origin'], '*', `OPTIONS ${route}: Allow-Origin`);
      assert.match(res.headers['access-control-allow-headers'] ?? '', /\bauthorization\b/i, `OPTIONS ${route}: Allow-Headers`);
      assert.match(res.headers['access-control-allow-methods'] ?? '', new RegExp(`\\b${method}\\b`), `OPTIONS ${route}: Allow-Methods`);
    }
  }));

  test('raw WHIP from the page: no token 401, wrong token 401, right token 201 and media', { timeout: 60_000 }, async () => env.withContext(async () => {
    const ui = await env.newUi('cross-origin', {
      url: `${origin.base}/?server=${encodeURIComponent(env.server.base)}`,
    });
    const { page } = ui;
    const pageOrigin = await page.evaluate(() => location.origin);
    assert.equal(pageOrigin, origin.base);
    assert.notEqual(pageOrigin, new URL(env.server.base).origin, 'the page is cross-origin to the server');

    // Watch the browser's own preflights (DevTools protocol): the OPTIONS requests it sends
    // before cross-origin POSTs and DELETEs that carry Authorization or application/sdp. Chromium
    // caches a passed preflight per URL (Access-Control-Max-Age), so not every request has one.
    const preflights = [];
    const cdp = await env.browser.context.newCDPSession(page);
    await cdp.send('Network.enable');
    cdp.on('Network.responseReceived', (e) => {
      if (e.type === 'Preflight') preflights.push({ url: e.response.url, status: e.response.status });
    });

    // A real offer: a canvas track, as a WHIP client would send.
    await page.evaluate(async () => {
      const canvas = Object.assign(document.createElement('canvas'), { width: 320, height: 240 });
      const ctx = canvas.getContext('2d');
      let n = 0;
      const timer = setInterval(() => {
        ctx.fillStyle = `hsl(${(n++ * 7) % 360} 80% 50%)`;
        ctx.fillRect(0, 0, 320, 240);
      }, 33);
      const track = canvas.captureStream(30).getVideoTracks()[0];
      const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle' });
      pc.addTransceiver(track, { direction: 'sendonly' });
      await pc.setLocalDescription(await pc.createOffer());
      // Non-trickle, as app.js: every candidate in the offer (at most 5 s of gathering).
      await new Promise((resolve) => {
        if (pc.iceGatheringState === 'complete') resolve();
        pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
        setTimeout(resolve, 5000);
      });
      window.raw = { pc, timer, offer: pc.localDescription.sdp };
    });

    // POST (or DELETE) from the page; the response headers are read through CORS.
    const call = (method, path, auth, body) => page.evaluate(async ([m, url, a, b]) => {
      const headers = {};
      if (b !== null) headers['Content-Type'] = 'application/sdp';
      if (a) headers.Authorization = a;
      try {
        const res = await fetch(url, { method: m, headers, body: b === null ? undefined : window.raw.offer });
        return {
          status: res.status,
          wwwAuthenticate: res.headers.get('WWW-Authenticate'),
          location: res.headers.get('Location'),
          contentType: res.headers.get('Content-Type'),
          body: await res.text(),
        };
      } catch (e) {
        return { error: `${e.name}: ${e.message}` };
      }
    }, [method, new URL(path, env.server.base).href, auth, body]);
    const whip = '/whip?streamId=auth&workflow=invert';

    const none = await call('POST', whip, null, 'offer');
    assert.ok(!none.error, `POST without a token must reach the server through CORS: ${none.error}`);
    assert.equal(none.status, 401, `POST /whip without a token: ${none.body}`);
    assert.match(none.wwwAuthenticate ?? '', /^Bearer\b/, 'WWW-Authenticate readable cross-origin (exposed)');
    assert.match(none.wwwAuthenticate, /realm="comfystream"/, 'WWW-Authenticate realm');
    assert.match(JSON.parse(none.body).error, /Bearer/, '401 body');
    const noneWhep = await call('POST', '/whep?streamId=auth', null, 'offer');
    assert.equal(noneWhep.status, 401, `POST /whep without a token: ${noneWhep.body ?? noneWhep.error}`);

    const wrong = await call('POST', whip, `Bearer ${TOKEN}x`, 'offer');
    assert.ok(!wrong.error, wrong.error);
    assert.equal(wrong.status, 401, `POST /whip with a wrong token: ${wrong.body}`);
    assert.match(wrong.wwwAuthenticate ?? '', /^Bearer\b.*error="invalid_token"/, 'WWW-Authenticate for a wrong token');

    const right = await call('POST', whip, `Bearer ${TOKEN}`, 'offer');
    assert.ok(!right.error, right.error);
    assert.equal(right.status, 201, `POST /whip with the token: ${right.body}`);
    assert.match(right.location ?? '', /^\/whip\/[0-9a-f]{32}$/, 'Location readable cross-origin');
    assert.match(right.contentType ?? '', /^application\/sdp/, 'answer Content-Type');

    await page.evaluate((sdp) => window.raw.pc.setRemoteDescription({ type: 'answer', sdp }), right.body);
    await until('raw publisher connected', () => page.evaluate(() => window.raw.pc.connectionState),
      (st) => st === 'connected', { timeout: 20_000 });
    const sent = () => page.evaluate(async () => {
      let out = null;
      (await window.raw.pc.getStats()).forEach((r) => { if (r.type === 'outbound-rtp' && r.kind === 'video') out = r; });
      return { framesSent: out?.framesSent ?? 0, bytesSent: out?.bytesSent ?? 0 };
    });
    const first = await until('raw publisher to send frames', sent, (x) => x.framesSent > 0, { timeout: 10_000 });
    await until('raw publisher framesSent to rise', sent, (x) => x.framesSent > first.framesSent, { timeout: 5000 });
    // The server decodes and processes them (stats are open: no --admin-token).
    const id = publicId(right.location);
    const processed = await until(`/whip-stats ${id} frames_processed > 0`, () => getJson(env.server, '/whip-stats'),
      (all) => all[id]?.frames_processed > 0, { timeout: 15_000 });
    assert.equal(processed[id].workflow, 'invert');

    // Ending the session needs the token too; the resource URL alone is not enough.
    const delNone = await call('DELETE', right.location, null, null);
    assert.ok(!delNone.error, delNone.error);
    assert.equal(delNone.status, 401, `DELETE without a token: ${delNone.body}`);
    assert.match(delNone.wwwAuthenticate ?? '', /^Bearer\b/, 'DELETE 401 WWW-Authenticate');
    const delWrong = await call('DELETE', right.location, `Bearer ${TOKEN}x`, null);
    assert.equal(delWrong.status, 401, `DELETE with a wrong token: ${delWrong.body ?? delWrong.error}`);
    const delRight = await call('DELETE', right.location, `Bearer ${TOKEN}`, null);
    assert.equal(delRight.status, 200, `DELETE with the token: ${delRight.body ?? delRight.error}`);
    await until(`publisher ${id} to leave /whip-stats`, () => getJson(env.server, '/whip-stats'),
      (all) => !(id in all), { timeout: 5000 });
    await page.evaluate(() => { clearInterval(window.raw.timer); window.raw.pc.close(); });

    // Chromium preflighted the cross-origin POSTs and DELETEs, without a token, and they passed.
    const serverOrigin = new URL(env.server.base).origin;
    const ours = preflights.filter((p) => p.url && new URL(p.url).origin === serverOrigin);
    assert.ok(ours.some((p) => new URL(p.url).pathname === '/whip'), `a preflight for POST /whip: ${JSON.stringify(preflights)}`);
    assert.ok(ours.some((p) => new URL(p.url).pathname.startsWith('/whip/')), `a preflight for DELETE /whip/{id}: ${JSON.stringify(preflights)}`);
    for (const p of ours) {
      assert.ok(p.status >= 200 && p.status < 300, `preflight status: ${JSON.stringify(p)}`);
    }
    await cdp.detach();
    assert.deepEqual(ui.errors, [], 'page errors');
    await page.close();
  }));

  test('the UI with ?token= publishes (invert) and views cross-origin, pixels inverted', { timeout: 60_000 }, async (t) => env.withContext(async () => {
    // Without the token the UI shows the server's 401.
    const anon = await env.newUi('no-token', { url: `${origin.base}/?server=${encodeURIComponent(env.server.base)}` });
    const denied = await anon.page.evaluate(() => window.comfystream.publish({
      streamId: 'auth-ui', workflow: 'invert', source: 'pattern', codec: 'VP8', width: 320, height: 240, audio: false,
    }).then(() => 'published', (e) => e.message));
    assert.match(denied, /→ 401/, 'publish without a token fails with 401');
    assert.match(await anon.page.textContent('#error-text'), /401/, 'the page shows the 401');
    await anon.page.close();

    const ui = await env.newUi('token', {
      url: `${origin.base}/?server=${encodeURIComponent(env.server.base)}&token=${encodeURIComponent(TOKEN)}`,
    });
    const { page } = ui;
    const streamId = 'auth-ui';
    const pub = await hook(page, 'publish', {
      streamId, workflow: 'invert', source: 'pattern', codec: 'VP8', width: 320, height: 240, fps: 30, audio: true,
    });
    assert.match(pub.location ?? '', /^\/whip\/[0-9a-f]{32}$/, 'WHIP Location');
    const view = await hook(page, 'view', { streamId });
    assert.match(view.location ?? '', /^\/whep\/[0-9a-f]{32}$/, 'WHEP Location');
    const { viewer: v } = await expectFramesFlowing(ui);
    assert.deepEqual([v.frameWidth, v.frameHeight], [320, 240], 'decoded size = published size');
    await expectInvertedPattern(t, ui);

    // The UI's DELETEs carry the token (cross-origin, keepalive, preflighted).
    assert.equal(await hook(page, 'stopView'), 200, 'DELETE /whep/{id} with the token');
    assert.equal(await hook(page, 'unpublish'), 200, 'DELETE /whip/{id} with the token');
    const whipId = publicId(pub.location);
    await until(`publisher ${whipId} to leave /whip-stats`, () => getJson(env.server, '/whip-stats'),
      (all) => !(whipId in all), { timeout: 5000 });
    assert.deepEqual(ui.errors, [], 'page errors');
    await page.close();
  }));
});
