// Helpers for the headless-Chromium integration test: start/stop the comfystream server,
// launch Debian's Chromium through playwright-core (never a downloaded browser), poll with deadlines.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
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

// Starts the server on a free port and waits for GET /health = 200.
export async function startServer({ timeout = 20_000 } = {}) {
  if (!fs.existsSync(serverBin)) {
    throw new Error(`server binary not found: ${serverBin} (build it, or set COMFYSTREAM_BIN)`);
  }
  const port = await freePort();
  const args = ['--host', '127.0.0.1', '--port', String(port), '--media-ip', '127.0.0.1', '--log-level', 'debug'];
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'comfystream-it-'));
  const logFile = path.join(logDir, 'server.log');
  const logStream = fs.createWriteStream(logFile);
  const lines = [];
  const child = spawn(serverBin, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  const server = {
    port,
    base: `http://127.0.0.1:${port}`,
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
      const res = await fetch(`${server.base}/health`, { signal: AbortSignal.timeout(1000) });
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
export async function launchBrowser() {
  if (!fs.existsSync(chromiumBin)) throw new Error(`Chromium not found at ${chromiumBin}`);
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'comfystream-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumBin,
    headless: true,
    args: CHROMIUM_ARGS,
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

// Opens the UI served by the server and records console output and page errors.
export async function openUi(browser, server, label) {
  const page = await browser.context.newPage();
  const messages = [];
  const errors = [];
  page.on('console', (m) => {
    messages.push(`[${label}] ${m.type()}: ${m.text()}`);
    if (messages.length > 300) messages.shift();
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.base}/`);
  await page.waitForFunction(() => typeof window.comfystream?.publish === 'function', null, { timeout: 10_000 });
  return { page, messages, errors, label };
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

export async function getJson(server, route) {
  const res = await fetch(`${server.base}${route}`);
  if (res.status !== 200) throw new Error(`GET ${route} → ${res.status}: ${await res.text()}`);
  return res.json();
}
