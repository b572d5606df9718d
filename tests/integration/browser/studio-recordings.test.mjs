// The studio's recordings panel, clicked through as a user would in headless Chromium: publish the
// test pattern under `invert`, start a server-side recording from the panel, watch its duration
// grow, stop it, see it listed as stopped, play it in the panel (the pixels are the inverted
// pattern at the published size) and download it (a Matroska file). Then the same with a server
// that wants a token, where the page fetches the file with the token into an object URL; a server
// that cannot write its recording directory (500) and a stream without room for one more viewer
// (503), which the panel explains.
// Needs the file route (GET /streams/{S}/recordings/{id}/file, branch studio-srv).
//
//   node --test tests/integration/browser/studio-recordings.test.mjs   (env COMFYSTREAM_BIN)

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  getJson, hook, sampleBlocks, screenshot, stats, suite, until,
} from './harness.mjs';
import { openStudio } from './studio-steps.mjs';

// The panel's rows as the user sees them, newest first.
const rows = (page) => page.$$eval('#rec-list tbody tr', (trs) => trs.map((tr) => ({
  id: tr.dataset.recordingId,
  state: tr.dataset.state,
  stateText: tr.querySelector('.rec-state').textContent,
  duration: tr.querySelector('.rec-duration').textContent,
  size: tr.querySelector('.rec-size').textContent,
  error: tr.querySelector('.rec-error').textContent,
})));

// "1:05" → 65.
const seconds = (text) => text.split(':').reduce((acc, part) => acc * 60 + Number(part), 0);

// The recording's <video> state, and the pattern's blocks averaged in the frame it shows (the
// inner half of each block, harness.sampleBlocks as for the live output).
async function sampleRecording(page, blocks) {
  const got = await page.evaluate(sampleBlocks, { blocks, video: 'rec-video' });
  return page.evaluate((g) => {
    const video = document.getElementById('rec-video');
    return { currentTime: video.currentTime, width: video.videoWidth, height: video.videoHeight, src: video.currentSrc, got: g };
  }, got);
}

async function publishPattern(ui, streamId) {
  const pub = await hook(ui.page, 'publish', {
    streamId, workflow: 'invert', source: 'pattern', codec: 'H264', width: 320, height: 240, fps: 30, audio: true,
  });
  await until(`[${ui.label}] publisher connected`, () => stats(ui),
    (s) => s.publisher?.connectionState === 'connected', { timeout: 20_000 });
  return pub;
}

// Start, watch it grow, stop: returns the stopped row.
async function recordFromThePanel(ui, streamId) {
  const { page } = ui;
  await page.locator('#recordings-panel').scrollIntoViewIfNeeded();
  await page.click('#rec-start');
  const running = await until('a recording listed as recording', () => rows(page),
    (r) => r.length === 1 && r[0].state === 'recording', { timeout: 10_000 });
  // Its duration shows the seconds going by (the list is refreshed while the panel is on screen).
  await until('the running recording to show 3 s', () => rows(page),
    (r) => seconds(r[0].duration) >= 3, { timeout: 20_000 });
  await page.click(`#rec-list tr[data-recording-id="${running[0].id}"] .rec-stop`);
  const stopped = await until('the recording listed as stopped', () => rows(page),
    (r) => r[0].state === 'stopped', { timeout: 15_000 });
  assert.equal(stopped[0].id, running[0].id, 'the same recording');
  assert.ok(seconds(stopped[0].duration) >= 3, `stopped duration ${stopped[0].duration}`);
  assert.match(stopped[0].size, /\d+(\.\d)? (KiB|MiB)/, `stopped size ${stopped[0].size}`);
  assert.equal(stopped[0].error, '', 'no error');
  assert.match(await page.textContent('#rec-message'), /Recording stopped/, 'the panel says so');
  const status = await getJson(ui.server, `/streams/${encodeURIComponent(streamId)}/recordings/${stopped[0].id}`,
    ui.token ? { headers: { Authorization: `Bearer ${ui.token}` } } : {});
  assert.equal(status.state, 'stopped', 'the server agrees');
  assert.ok(status.bytes > 0, 'the file has bytes');
  return stopped[0];
}

// Press Play: the video in the panel plays the recording, at the published size, inverted.
async function playFromThePanel(ui, row, { expectBlob }) {
  const { page } = ui;
  await page.click(`#rec-list tr[data-recording-id="${row.id}"] .rec-play`);
  const shown = await until('the player to show, or a message why not', async () => ({
    visible: await page.isVisible('#rec-video'),
    message: await page.textContent('#rec-message'),
    level: await page.getAttribute('#rec-message', 'data-level'),
  }), (v) => v.visible || v.level === 'error', { timeout: 10_000 });
  assert.ok(shown.visible, `the player did not open: ${shown.message}`);
  const { blocks } = await page.evaluate(() => window.comfystream.pattern);
  const first = await until('the recording to play (currentTime > 0.5 s)', () => sampleRecording(page, blocks),
    (s) => s.currentTime > 0.5 && s.width > 0, { timeout: 15_000 });
  await until('the recording to keep playing', () => sampleRecording(page, blocks),
    (s) => s.currentTime > first.currentTime, { timeout: 5000 });
  assert.deepEqual([first.width, first.height], [320, 240], 'videoWidth × videoHeight = the published size');
  if (expectBlob) assert.match(first.src, /^blob:/, 'with a token: an object URL of the fetched file');
  else assert.match(first.src, /\/recordings\/[0-9a-f]+\/file$/, 'without a token: the file route, streamed');
  // The pattern's solid blocks are 255 - c (invert). Tolerance as in whip-whep.test.mjs: H.264
  // in, YUV inverted and coded twice lands within a few units; a frame that is not inverted is
  // more than 120 off in some channel.
  const tolerance = 30;
  for (const b of first.got) {
    const expected = b.rgb.map((c) => 255 - c);
    assert.ok(b.got.every((c, k) => Math.abs(c - expected[k]) <= tolerance),
      `${b.name} block: got rgb(${b.got}), expected about rgb(${expected}) = 255 - rgb(${b.rgb})`);
  }
  return first;
}

// Press Download: the browser saves a Matroska file (EBML magic 1A 45 DF A3).
async function downloadFromThePanel(ui, row) {
  const { page } = ui;
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 15_000 }),
    page.click(`#rec-list tr[data-recording-id="${row.id}"] .rec-download`),
  ]);
  const file = await download.path();
  const bytes = fs.readFileSync(file);
  assert.deepEqual([...bytes.subarray(0, 4)], [0x1a, 0x45, 0xdf, 0xa3], 'EBML magic');
  assert.match(download.suggestedFilename(), /\.mkv$/, `file name ${download.suggestedFilename()}`);
  return bytes.length;
}

// The panel's non-DOM half, in Node: what the user reads comes from these.
describe('web/lib/recordings.js and units.js', () => {
  test('sizes, durations, file names and refusals in words', async () => {
    const { formatBytes, formatDuration } = await import('../../../web/lib/units.js');
    const lib = await import('../../../web/lib/recordings.js');
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(300 * 1024 * 1024), '300 MiB');
    assert.equal(formatBytes(null), '—');
    assert.equal(formatDuration(3.9), '0:03');
    assert.equal(formatDuration(75.4), '1:15');
    assert.equal(formatDuration(3600 + 62), '1:01:02');
    assert.equal(lib.recordingFilePath('a/b', 'f00d', { download: true }), '/streams/a%2Fb/recordings/f00d/file?download=1');
    assert.equal(lib.recordingFileName({ path: '/rec/s-20260101T000000Z-0123abcd.mkv' }), 's-20260101T000000Z-0123abcd.mkv');
    assert.equal(lib.recordingFileName({ stream_id: 'a/b c', id: '0123abcdef' }), 'a_b_c-0123abcd.mkv');
    const err = (status, detail = '') => Object.assign(new Error(`→ ${status}`), { status, detail });
    assert.match(lib.recordingErrorText('start', err(409), 's'), /start publishing first/);
    assert.match(lib.recordingErrorText('start', err(500, 'No space left on device'), 's'), /cannot write.*No space left/);
    assert.match(lib.recordingErrorText('start', err(503), 's'), /all the viewers/);
    assert.match(lib.recordingErrorText('list', err(401), 's'), /token/);
    assert.equal(lib.recordingErrorText('start', new Error('network down'), 's'), 'network down');
  });
});

describe('studio: recordings panel', { timeout: 150_000 }, () => {
  const env = suite({ server: false });
  const tmpDirs = [];

  after(() => {
    for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  // Each server records into its own temporary --record-dir unless `ownRecordDir` is false (then
  // the server's default, {workspace or .}/recordings).
  const newServer = (args = [], { ownRecordDir = true } = {}) => {
    const dirArgs = [];
    if (ownRecordDir) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'comfystream-rec-'));
      tmpDirs.push(dir);
      dirArgs.push('--record-dir', dir);
    }
    return env.newServer({ args: [...dirArgs, ...args] });
  };

  test('record the inverted pattern, stop, play it in the panel, download it', { timeout: 70_000 }, async (t) => env.withContext(async () => {
    const server = await newServer();
    const streamId = 'studio-rec';
    const ui = await openStudio(env, 'rec', streamId, { server });
    ui.server = server;

    // Before anything is published the server has nothing to record, and the panel says why.
    await ui.page.locator('#recordings-panel').scrollIntoViewIfNeeded();
    assert.match(await ui.page.textContent('#rec-empty'), /No recordings of "studio-rec"/);
    await ui.page.click('#rec-start');
    await until('the panel to explain the refusal', () => ui.page.textContent('#rec-message'),
      (text) => /start publishing first/.test(text), { timeout: 5000 });

    await publishPattern(ui, streamId);
    const row = await recordFromThePanel(ui, streamId);
    const played = await playFromThePanel(ui, row, { expectBlob: false });
    t.diagnostic(`played ${played.currentTime.toFixed(2)} s at ${played.width}x${played.height}; `
      + `blocks ${played.got.map((b) => `${b.name} rgb(${b.got})`).join(', ')}`);
    const shot = await screenshot(ui.page, 'studio-recordings');
    t.diagnostic(`screenshot: ${shot}`);
    const size = await downloadFromThePanel(ui, row);
    t.diagnostic(`downloaded ${size} bytes`);

    // On a phone-sized screen the rows become cards: nothing scrolls sideways.
    await ui.page.setViewportSize({ width: 375, height: 667 });
    await ui.page.locator('#recordings-panel').scrollIntoViewIfNeeded();
    assert.ok(await ui.page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth),
      'no horizontal scroll at 375 px');
    await screenshot(ui.page, 'studio-phone-recordings', { fullPage: false });
    await ui.page.setViewportSize({ width: 1280, height: 900 });

    // The panel follows the set-up's stream id: another stream has none, and back again.
    await ui.page.fill('#stream-id', 'studio-rec-other');
    await until('the list of the other stream', () => ui.page.textContent('#rec-empty'),
      (text) => /No recordings of "studio-rec-other"/.test(text), { timeout: 5000 });
    assert.ok(await ui.page.isHidden('#rec-player'), 'the player closed with the stream change');
    assert.equal((await rows(ui.page)).length, 0, 'nothing listed for the other stream');
    await ui.page.fill('#stream-id', streamId);
    await until('the recording listed again', () => rows(ui.page), (r) => r.length === 1 && r[0].id === row.id,
      { timeout: 10_000 });

    assert.equal(await hook(ui.page, 'unpublish'), 200, 'DELETE /whip/{id}');
    assert.deepEqual(ui.errors, [], 'page errors');
    await ui.page.close();
  }));

  test('with a token: the panel fetches the file with it (object URL) to play and download', { timeout: 70_000 }, async () => env.withContext(async () => {
    const token = 'studio-rec-admin-token';
    const server = await newServer(['--admin-token', token]);
    const streamId = 'studio-rec-token';

    // Without the token the panel says what is missing.
    const anon = await openStudio(env, 'anon', streamId, { server });
    await anon.page.locator('#recordings-panel').scrollIntoViewIfNeeded();
    await anon.page.click('#rec-start');
    await until('the panel to ask for a token', () => anon.page.textContent('#rec-message'),
      (text) => /401/.test(text) && /token/.test(text), { timeout: 5000 });
    await anon.page.close();

    const ui = await openStudio(env, 'rec-token', streamId, { server, token });
    ui.server = server;
    ui.token = token;
    await publishPattern(ui, streamId);
    const row = await recordFromThePanel(ui, streamId);
    await playFromThePanel(ui, row, { expectBlob: true });
    await downloadFromThePanel(ui, row);
    await hook(ui.page, 'unpublish');
    assert.deepEqual(ui.errors, [], 'page errors');
    await ui.page.close();
  }));

  test('a server that cannot write its recordings: the panel says so, with the server\'s reason', { timeout: 40_000 }, async () => env.withContext(async () => {
    // The default directory is {workspace}/recordings, checked when a recording starts (an
    // explicit --record-dir is checked at start-up instead); here it is a file.
    const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'comfystream-ws-'));
    tmpDirs.push(workspace);
    fs.writeFileSync(path.join(workspace, 'recordings'), 'not a directory');
    const server = await newServer(['--workspace', workspace], { ownRecordDir: false });
    const streamId = 'studio-rec-500';
    const ui = await openStudio(env, 'rec-500', streamId, { server });
    await publishPattern(ui, streamId);
    await ui.page.locator('#recordings-panel').scrollIntoViewIfNeeded();
    await ui.page.click('#rec-start');
    const text = await until('the panel to say the server cannot write', () => ui.page.textContent('#rec-message'),
      (t) => /cannot write/.test(t), { timeout: 5000 });
    assert.match(text, /not a directory/, 'the server\'s reason');
    assert.equal(await ui.page.locator('#rec-list tbody tr').count(), 0, 'nothing listed');
    await hook(ui.page, 'unpublish');
    assert.deepEqual(ui.errors, [], 'page errors');
    await ui.page.close();
  }));

  test('a stream with all the viewers it takes: a second recording is refused, in words', { timeout: 40_000 }, async () => env.withContext(async () => {
    // A recording is one of the stream's viewers: with --max-viewers 1 the first takes the place.
    const server = await newServer(['--max-viewers', '1']);
    const streamId = 'studio-rec-503';
    const ui = await openStudio(env, 'rec-503', streamId, { server });
    await publishPattern(ui, streamId);
    await ui.page.locator('#recordings-panel').scrollIntoViewIfNeeded();
    await ui.page.click('#rec-start');
    await until('the first recording listed', () => rows(ui.page), (r) => r.length === 1 && r[0].state === 'recording',
      { timeout: 10_000 });
    await ui.page.click('#rec-start');
    const text = await until('the panel to explain the refusal', () => ui.page.textContent('#rec-message'),
      (t) => /all the viewers it takes/.test(t), { timeout: 5000 });
    assert.match(text, /a recording is one/, text);
    assert.equal((await rows(ui.page)).length, 1, 'still one recording');
    await hook(ui.page, 'unpublish');
    assert.deepEqual(ui.errors, [], 'page errors');
    await ui.page.close();
  }));
});
