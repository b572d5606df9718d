// Helpers for the headless-Chromium integration test: start/stop the comfystream server,
// launch Debian's Chromium through playwright-core (never a downloaded browser), poll with deadlines.

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const serverBin = process.env.COMFYSTREAM_BIN || path.join(repoRoot, 'build/comfystream');
export const chromiumBin = process.env.CHROMIUM_BIN || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
];

// Polls fn() until pred(value) holds; returns that value. Throws with the last value on timeout.
export async function until(what, fn, pred = Boolean, { timeout = 20_000, interval = 200 } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    last = await fn();
    if (pred(last)) return last;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}; last value: ${JSON.stringify(last)}`);
    }
    await delay(interval);
  }
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Starts the server on a free port and waits for GET /health = 200. `args` are added to the
// command line; `tls` ({cert, key} from makeTestCert) serves HTTPS with that certificate, and the
// Node-side helpers (request, getJson) trust it.
export async function startServer({ timeout = 20_000, args: extraArgs = [], tls = null } = {}) {
  if (!fs.existsSync(serverBin)) {
    throw new Error(`server binary not found: ${serverBin} (build it, or set COMFYSTREAM_BIN)`);
  }
  const port = await freePort();
  // --web-dir: the page of this checkout, whatever the binary was built with (the compiled-in
  // default is the source tree the binary came from).
  const args = ['--host', '127.0.0.1', '--port', String(port), '--media-ip', '127.0.0.1', '--log-level', 'debug',
    '--web-dir', path.join(repoRoot, 'web'),
    ...(tls ? ['--tls-cert', tls.cert, '--tls-key', tls.key] : []), ...extraArgs];
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'comfystream-it-'));
  const logFile = path.join(logDir, 'server.log');
  const logStream = fs.createWriteStream(logFile);
  const lines = [];
  const child = spawn(serverBin, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  const server = {
    port,
    base: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    ca: tls ? fs.readFileSync(tls.cert) : null,
    child,
    logFile,
    logDir,
    exit: null,
    tail(n = 80) { return lines.slice(-n).join('\n'); },
  };
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream.on('data', (chunk) => {
      logStream.write(chunk);
      const parts = (partial + chunk.toString()).split('\n');
      partial = parts.pop();
      lines.push(...parts);
      if (lines.length > 2000) lines.splice(0, lines.length - 2000);
    });
  }
  server.exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      server.exit = { code, signal };
      logStream.end();
      resolve(server.exit);
    });
    child.on('error', (err) => {
      server.exit = { code: null, signal: null, error: err.message };
      resolve(server.exit);
    });
  });

  const deadline = Date.now() + timeout;
  for (;;) {
    if (server.exit) {
      throw new Error(`server exited before it became healthy (${JSON.stringify(server.exit)}): `
        + `${serverBin} ${args.join(' ')}\n--- server output ---\n${server.tail(200)}`);
    }
    try {
      const res = await request(server, '/health', { timeout: 1000 });
      if (res.status === 200) return server;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      await stopServer(server);
      throw new Error(`server not healthy after ${timeout} ms: GET /health never answered 200\n`
        + `--- server output ---\n${server.tail(200)}`);
    }
    await delay(100);
  }
}

// SIGTERM, then SIGKILL after a grace period. Resolves to the exit status.
export async function stopServer(server, { grace = 5000 } = {}) {
  if (!server || server.exit) return server?.exit ?? null;
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), grace);
  const exit = await server.exited;
  clearTimeout(timer);
  return exit;
}

// Chromium with a fresh temporary profile. The context is granted camera and microphone:
// without that, a page that never called getUserMedia (a pure viewer) gathers only its
// default-route address and never 127.0.0.1.
// `args` are added to CHROMIUM_ARGS.
export async function launchBrowser({ args = [] } = {}) {
  if (!fs.existsSync(chromiumBin)) throw new Error(`Chromium not found at ${chromiumBin}`);
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'comfystream-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumBin,
    headless: true,
    args: [...CHROMIUM_ARGS, ...args],
    permissions: ['camera', 'microphone'],
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

// Opens the UI served by the server (or `url`, e.g. the UI from another origin with ?server= and
// ?token=) and records console output and page errors. Sets ui.response (the document's).
export async function openUi(browser, server, label, { url = `${server.base}/` } = {}) {
  const page = await browser.context.newPage();
  const messages = [];
  const errors = [];
  page.on('console', (m) => {
    messages.push(`[${label}] ${m.type()}: ${m.text()}`);
    if (messages.length > 300) messages.shift();
  });
  page.on('pageerror', (e) => errors.push(e.message));
  const response = await page.goto(url);
  await page.waitForFunction(() => typeof window.comfystream?.publish === 'function', null, { timeout: 10_000 });
  return { page, messages, errors, label, response };
}

// Hook call, e.g. hook(page, 'stats') → window.comfystream.stats().
export function hook(page, name, arg) {
  return page.evaluate(([n, a]) => window.comfystream[n](a), [name, arg]);
}

export async function stats(ui) {
  // Fail fast with the page's own error text when the UI shows a server error.
  const error = await ui.page.evaluate(() => {
    const el = document.getElementById('error');
    return el.hidden ? null : document.getElementById('error-text').textContent;
  });
  if (error) throw new Error(`[${ui.label}] the page shows an error: ${error}`);
  return hook(ui.page, 'stats');
}

// Waits until the viewer in `ui` has decoded at least `min` frames, then for two further
// increases. Returns the last stats sample.
export async function expectFramesFlowing(ui, { min = 30, timeout = 25_000 } = {}) {
  const first = await until(`[${ui.label}] viewer framesDecoded >= ${min}`, () => stats(ui),
    (s) => (s.viewer?.framesDecoded ?? 0) >= min, { timeout });
  const second = await until(`[${ui.label}] framesDecoded to rise above ${first.viewer.framesDecoded}`, () => stats(ui),
    (s) => s.viewer.framesDecoded > first.viewer.framesDecoded, { timeout: 5000 });
  return until(`[${ui.label}] framesDecoded to rise above ${second.viewer.framesDecoded}`, () => stats(ui),
    (s) => s.viewer.framesDecoded > second.viewer.framesDecoded, { timeout: 5000 });
}

// One HTTP(S) request from Node; over HTTPS only the server's test certificate is trusted.
// Resolves to {status, headers (lower-case names), body (string)}.
export function request(server, route, { method = 'GET', headers = {}, body, timeout = 5000 } = {}) {
  const url = new URL(route, server.base);
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(url, { method, headers, timeout, ...(server.ca ? { ca: server.ca } : {}) }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out after ${timeout} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

export async function getJson(server, route, { headers } = {}) {
  const res = await request(server, route, { headers });
  if (res.status !== 200) throw new Error(`GET ${route} → ${res.status}: ${res.body}`);
  return JSON.parse(res.body);
}

// A self-signed certificate for 127.0.0.1 and localhost, made with the openssl CLI in a fresh
// temporary folder. `spki` is the base64 SHA-256 of its public key, the form Chromium's
// --ignore-certificate-errors-spki-list takes (it then trusts this key and no other).
export function makeTestCert() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'comfystream-tls-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', key, '-out', cert], { stdio: 'pipe' });
  const pubDer = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'DER'], {
    input: execFileSync('openssl', ['x509', '-in', cert, '-pubkey', '-noout']),
  });
  const spki = execFileSync('openssl', ['dgst', '-sha256', '-binary'], { input: pubDer }).toString('base64');
  return { dir, cert, key, spki, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

// A second origin: serves web/ (index.html, app.js, style.css) on another port of 127.0.0.1,
// so a page there reaches the comfystream server cross-origin (CORS, preflights).
export async function startStaticServer(root = path.join(repoRoot, 'web')) {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
  const srv = http.createServer((req, res) => {
    const name = new URL(req.url, 'http://x').pathname.replace(/^\/$/, '/index.html');
    const file = path.join(root, path.normalize(name));
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': types[path.extname(file)] ?? 'application/octet-stream' });
    res.end(fs.readFileSync(file));
  });
  await new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', resolve);
  });
  return {
    base: `http://127.0.0.1:${srv.address().port}`,
    close: () => new Promise((resolve) => { srv.closeAllConnections(); srv.close(resolve); }),
  };
}

// Runs in the page, as page.evaluate(sampleBlocks, pattern.blocks): draws the next decoded frame
// of the output video into a canvas and averages the inner half of each block. Another <video>
// of the page: page.evaluate(sampleBlocks, { blocks, video: its id }).
export async function sampleBlocks(arg) {
  const { blocks, video: id = 'output-video' } = Array.isArray(arg) ? { blocks: arg } : arg;
  const video = document.getElementById(id);
  await new Promise((resolve) => {
    const timer = setTimeout(resolve, 1000);
    video.requestVideoFrameCallback(() => { clearTimeout(timer); resolve(); });
  });
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(video, 0, 0);
  return blocks.map((b) => {
    const x = Math.round((b.x + b.w / 4) * canvas.width);
    const y = Math.round((b.y + b.h / 4) * canvas.height);
    const w = Math.max(1, Math.round((b.w / 2) * canvas.width));
    const h = Math.max(1, Math.round((b.h / 2) * canvas.height));
    const data = ctx.getImageData(x, y, w, h).data;
    const sum = [0, 0, 0];
    for (let i = 0; i < data.length; i += 4) {
      sum[0] += data[i];
      sum[1] += data[i + 1];
      sum[2] += data[i + 2];
    }
    const n = data.length / 4;
    return { name: b.name, rgb: b.rgb, got: sum.map((v) => Math.round(v / n)), size: `${canvas.width}x${canvas.height}` };
  });
}

// Screenshots of the page's states for the closing notes and for a human look at a failure:
// PNGs under $COMFYSTREAM_SCREENSHOT_DIR (ctest sets <build>/screenshots), else build/screenshots.
// `name` becomes the file name (e.g. 'studio-live' → studio-live.png). Resolves to the path.
export const screenshotDir = process.env.COMFYSTREAM_SCREENSHOT_DIR || path.join(repoRoot, 'build/screenshots');

export async function screenshot(page, name, { fullPage = true } = {}) {
  fs.mkdirSync(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `${name.replace(/[^A-Za-z0-9._-]/g, '_')}.png`);
  await page.screenshot({ path: file, fullPage });
  return file;
}

// One describe()'s servers, browser and pages; call it inside the describe(). It registers a
// before() that starts a server (with `server`'s startServer options; none when `server` is false)
// and the browser (`browser`'s launchBrowser options), and an after() that closes the browser,
// stops every server and keeps their logs when a test failed or COMFYSTREAM_KEEP_LOG is set
// (removed otherwise). Either option may be a function, called in before() (e.g. to make a
// certificate first). Returns { server, browser, servers, uis, withContext, newUi, newServer }:
// withContext(fn) adds every server's log tail and the pages' console to a failure; newUi opens
// the UI (on `server`, by default the suite's) and keeps its console; newServer starts another
// server that after() stops too.
export function suite({ server = {}, browser = {} } = {}) {
  const s = { server: null, browser: null, servers: [], uis: [], failed: false };
  const value = (opt) => (typeof opt === 'function' ? opt() : opt);
  s.newServer = async (opts = {}) => {
    const started = await startServer(opts);
    s.servers.push(started);
    return started;
  };
  s.newUi = async (label, { server: on = s.server, ...opts } = {}) => {
    const ui = await openUi(s.browser, on, label, opts);
    s.uis.push(ui);
    return ui;
  };
  s.withContext = async (fn) => {
    try {
      return await fn();
    } catch (err) {
      s.failed = true;
      const logs = s.servers.map((srv) => `--- server log (last 60 lines; full log: ${srv.logFile}) ---\n${srv.tail(60)}`);
      const consoleTail = s.uis.flatMap((u) => u.messages).slice(-40).join('\n');
      err.message += `\n${logs.join('\n')}\n--- browser console (last 40 lines) ---\n${consoleTail}`;
      throw err;
    }
  };
  before(async () => {
    const opts = value(server);
    if (opts) s.server = await s.newServer(opts);
    s.browser = await launchBrowser(value(browser));
  }, { timeout: 40_000 });
  after(async () => {
    await s.browser?.close();
    for (const srv of s.servers) {
      const exit = await stopServer(srv);
      if (s.failed || process.env.COMFYSTREAM_KEEP_LOG) {
        console.log(`# server log kept: ${srv.logFile} (exit ${JSON.stringify(exit)})`);
      } else {
        fs.rmSync(srv.logDir, { recursive: true, force: true });
      }
    }
  });
  return s;
}
