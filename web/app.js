// comfystream browser UI: publish a camera or a test pattern over WHIP, view the processed
// stream over WHEP. Plain ES module, no build step. HTTP contract: docs/API.md.
//
// Query parameters:
//   ?ice=URL[,URL...]  ICE server URLs for both peer connections, comma separated
//                      (e.g. ?ice=stun:stun.example.org:3478). Default: none, iceServers: [].
//                      Host candidates are enough on loopback and on a LAN. The server's
//                      `Link: <...>; rel="ice-server"` headers are only displayed, never used,
//                      so the page never contacts a STUN/TURN server you did not ask for.
//   ?server=URL        Base URL of another comfystream server (CORS is open). Default: the
//                      page's own origin, i.e. the server that served this page.
//   ?streamId=NAME&workflow=NAME   Prefill the form.
//   ?token=T           Bearer token for a server started with --auth-token/--auth-file/
//                      --admin-token: sent as `Authorization: Bearer T` on the WHIP/WHEP POSTs
//                      and on the DELETEs that end the sessions (never in a request URL).
//                      Default: none. Stopgap until the UI has a token field: a token in the
//                      page URL stays in the browser history.
//
// Test hook: window.comfystream = {publish, unpublish, view, stopView, stats, pattern}. The buttons
// call exactly these functions; see the bottom of this file.

const params = new URLSearchParams(location.search);

export const iceServers = (params.get('ice') ?? '')
  .split(',').map((u) => u.trim()).filter(Boolean).map((urls) => ({ urls }));

const serverBase = params.get('server')
  ?? (location.protocol.startsWith('http') ? location.origin : 'http://127.0.0.1:8889');

import { ServerApi } from './lib/api.js';
import { StudioContext } from './studio/context.js';
import * as workflowsPanel from './studio/workflows.js';
import * as controlsPanel from './studio/controls.js';
import * as textPanel from './studio/text-output.js';
import * as recordingsPanel from './studio/recordings.js';
import * as pushesPanel from './studio/pushes.js';

const $ = (id) => document.getElementById(id);

const TOKEN_KEY = 'comfystream.token';
$('token').value = params.get('token') ?? sessionStorage.getItem(TOKEN_KEY) ?? '';
const api = new ServerApi({ base: serverBase, token: $('token').value.trim() });
const ctx = new StudioContext({ api, streamId: params.get('streamId') ?? 'default' });
$('token').addEventListener('change', () => {
  api.token = $('token').value.trim();
  sessionStorage.setItem(TOKEN_KEY, api.token);
});
const authHeaders = new Proxy({}, {
  ownKeys: () => (api.token ? ['Authorization'] : []),
  getOwnPropertyDescriptor: () => ({ enumerable: true, configurable: true, value: `Bearer ${api.token}` }),
  get: (t, k) => (k === 'Authorization' && api.token ? `Bearer ${api.token}` : undefined),
});

// ---------------------------------------------------------------------------------------------
// Test pattern: solid blocks (known colours, used by the integration test to check the
// workflow), a spinning clock hand, a frame counter, the wall-clock time and a moving bar.
// Block coordinates are fractions of the frame size. The colours are far from mid-grey in every
// channel (so 255 - c is far from c) and change little between BT.601 and BT.709 coding.
export const pattern = Object.freeze({
  background: [24, 28, 40],
  blocks: [
    { name: 'left', x: 0.04, y: 0.06, w: 0.28, h: 0.40, rgb: [230, 190, 65] },
    { name: 'right', x: 0.68, y: 0.06, w: 0.28, h: 0.40, rgb: [20, 65, 190] },
  ],
});

const css = ([r, g, b]) => `rgb(${r},${g},${b})`;

function startPattern({ width, height, fps, audio }) {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d', { alpha: false });
  const t0 = performance.now();
  let frame = 0;
  let lastSecond = -1;

  let audioCtx = null;
  let beep = null;
  const stream = canvas.captureStream(fps);
  if (audio) {
    // A quiet 660 Hz beep at each full second, so audio and video can be matched by ear.
    audioCtx = new AudioContext();
    const osc = audioCtx.createOscillator();
    beep = audioCtx.createGain();
    beep.gain.value = 0;
    osc.frequency.value = 660;
    const dest = audioCtx.createMediaStreamDestination();
    osc.connect(beep).connect(dest);
    osc.start();
    audioCtx.resume().catch(() => {});
    stream.addTrack(dest.stream.getAudioTracks()[0]);
  }

  const draw = () => {
    const t = performance.now() - t0;
    ctx.fillStyle = css(pattern.background);
    ctx.fillRect(0, 0, width, height);
    for (const b of pattern.blocks) {
      ctx.fillStyle = css(b.rgb);
      ctx.fillRect(b.x * width, b.y * height, b.w * width, b.h * height);
    }
    // Clock between the blocks: one turn every 2 s.
    const cx = width / 2, cy = height * 0.26, r = Math.min(width, height) * 0.17;
    const a = (t / 2000) * 2 * Math.PI;
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = Math.max(2, r * 0.08);
    ctx.beginPath();
    ctx.arc(cx, cy, r, 0, 2 * Math.PI);
    ctx.moveTo(cx, cy);
    ctx.lineTo(cx + r * 0.9 * Math.sin(a), cy - r * 0.9 * Math.cos(a));
    ctx.stroke();
    // Frame counter and wall-clock time.
    ctx.fillStyle = '#fff';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.font = `bold ${Math.round(height * 0.13)}px monospace`;
    ctx.fillText(`#${String(frame).padStart(6, '0')}`, width / 2, height * 0.61);
    ctx.font = `${Math.round(height * 0.08)}px monospace`;
    ctx.fillText(new Date().toISOString().slice(11, 23), width / 2, height * 0.76);
    // A bar crossing the bottom every 3 s.
    const barW = width * 0.1;
    ctx.fillRect(((t / 3000) % 1) * (width - barW), height * 0.87, barW, height * 0.08);

    const second = Math.floor(t / 1000);
    if (beep && second !== lastSecond) {
      const now = audioCtx.currentTime;
      beep.gain.setValueAtTime(0.08, now);
      beep.gain.setValueAtTime(0, now + 0.08);
    }
    lastSecond = second;
    frame++;
  };
  draw();
  const timer = setInterval(draw, 1000 / fps);

  const stop = () => {
    clearInterval(timer);
    stream.getTracks().forEach((tr) => tr.stop());
    audioCtx?.close().catch(() => {});
  };
  return { stream, stop, width, height };
}

async function startCamera({ width, height, fps, audio }) {
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { width: { ideal: width }, height: { ideal: height }, frameRate: { ideal: fps } },
    audio,
  });
  const s = stream.getVideoTracks()[0].getSettings();
  return {
    stream,
    stop: () => stream.getTracks().forEach((tr) => tr.stop()),
    width: s.width,
    height: s.height,
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers (WHIP/WHEP are plain fetch calls; errors carry the server's JSON "error" text).

class HttpError extends Error {
  constructor(what, res, detail) {
    super(`${what} → ${res.status}${res.statusText ? ' ' + res.statusText : ''}${detail ? ': ' + detail : ''}`);
    this.name = 'HttpError';
    this.status = res.status;
    this.detail = detail;
  }
}

async function httpError(what, res) {
  const text = (await res.text().catch(() => '')).trim();
  let detail = text;
  try {
    const body = JSON.parse(text);
    if (body && typeof body.error === 'string') detail = body.error;
  } catch {
    // Not JSON: show the text, without markup if it is an HTML error page.
    if (text.startsWith('<')) detail = text.replace(/<(head|style|script)[\s\S]*?<\/\1>/gi, ' ').replace(/<[^>]*>/g, ' ');
    detail = detail.replace(/\s+/g, ' ').trim();
  }
  return new HttpError(what, res, detail.slice(0, 500));
}

const url = (path) => new URL(path, serverBase);

async function postOffer(path, sdp, signal) {
  try {
    return await fetch(url(path), {
      method: 'POST',
      headers: { 'Content-Type': 'application/sdp', ...authHeaders },
      body: sdp,
      signal,
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new Error(`POST ${path} failed: ${e.message} (is the server at ${serverBase} running?)`);
  }
}

async function deleteResource(resourceUrl) {
  try {
    const res = await fetch(resourceUrl, { method: 'DELETE', headers: authHeaders, keepalive: true });
    if (!res.ok) log(`DELETE ${resourceUrl.pathname} → ${res.status}`, true);
    return res.status;
  } catch (e) {
    log(`DELETE ${resourceUrl.pathname} failed: ${e.message}`, true);
    return 0;
  }
}

// `Link: <stun:host:3478>; rel="ice-server", <turn:...>; rel="ice-server"; username="u"; ...`
function iceServersFromLink(header) {
  const out = [];
  for (const m of (header ?? '').matchAll(/<([^>]*)>((?:\s*;\s*[^;,=\s]+(?:=(?:"[^"]*"|[^;,]*))?)*)/g)) {
    const attrs = {};
    for (const p of m[2].matchAll(/;\s*([^;,=\s]+)(?:=(?:"([^"]*)"|([^;,]*)))?/g)) {
      attrs[p[1].toLowerCase()] = (p[2] ?? p[3] ?? '').trim();
    }
    if (attrs.rel === 'ice-server') out.push({ urls: m[1], username: attrs.username });
  }
  return out;
}

function showIceInfo(res) {
  const offered = iceServersFromLink(res.headers.get('Link'));
  const used = iceServers.length ? iceServers.map((s) => s.urls).join(', ') : 'none (host candidates only; add ?ice=URL,...)';
  const fromServer = offered.length
    ? offered.map((s) => s.urls + (s.username ? ` (user ${s.username})` : '')).join(', ')
    : 'none';
  $('ice-info').textContent = `ICE servers in use: ${used}. Offered by the server (Link, not used): ${fromServer}.`;
}

function retryAfterMs(header) {
  if (!header) return null;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new DOMException('cancelled', 'AbortError'));
    }, { once: true });
  });
}

// Non-trickle: the offer is sent once every candidate is in it.
function iceGatheringComplete(pc, timeoutMs = 5000) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const check = () => { if (pc.iceGatheringState === 'complete') finish(); };
    const timer = setTimeout(() => {
      log(`ICE gathering still "${pc.iceGatheringState}" after ${timeoutMs} ms; sending the candidates found so far`, true);
      finish();
    }, timeoutMs);
    function finish() {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    }
    pc.addEventListener('icegatheringstatechange', check);
  });
}

async function localOffer(pc) {
  await pc.setLocalDescription(await pc.createOffer());
  await iceGatheringComplete(pc);
  return pc.localDescription.sdp;
}

// The server takes H264 only with packetization-mode=1; constrained baseline (42e0xx) first.
function h264Rank(codec) {
  const fmtp = codec.sdpFmtpLine ?? '';
  if (!/packetization-mode=1/.test(fmtp)) return -1;
  const profile = (/profile-level-id=([0-9a-f]{6})/i.exec(fmtp)?.[1] ?? '').toLowerCase();
  return profile.startsWith('42e0') ? 0 : profile.startsWith('42') ? 1 : 2;
}

function codecList(caps, name) {
  const all = caps?.codecs ?? [];
  let list = all.filter((c) => c.mimeType.toLowerCase() === `video/${name.toLowerCase()}`);
  if (name === 'H264') {
    list = list.filter((c) => h264Rank(c) >= 0).sort((a, b) => h264Rank(a) - h264Rank(b));
  }
  if (!list.length) return [];
  return [...list, ...all.filter((c) => c.mimeType.toLowerCase() === 'video/rtx')];
}

function preferCodec(transceiver, name) {
  if (name === 'auto') return;
  if (!('setCodecPreferences' in RTCRtpTransceiver.prototype)) {
    throw new Error('this browser cannot choose the video codec (no RTCRtpTransceiver.setCodecPreferences)');
  }
  // Browsers differ on whether a sending transceiver's preferences are checked against the send
  // or the receive capabilities: try send first, then receive.
  let lastError = null;
  for (const caps of [RTCRtpSender.getCapabilities('video'), RTCRtpReceiver.getCapabilities('video')]) {
    const list = codecList(caps, name);
    if (!list.length) continue;
    try {
      transceiver.setCodecPreferences(list);
      return;
    } catch (e) {
      lastError = e;
    }
  }
  throw new Error(`this browser cannot send ${name}${lastError ? ': ' + lastError.message : ''}`);
}

// ---------------------------------------------------------------------------------------------
// UI state

function log(msg, bad = false) {
  const li = document.createElement('li');
  li.textContent = `${new Date().toISOString().slice(11, 23)} ${msg}`;
  if (bad) li.className = 'bad';
  const list = $('log');
  list.append(li);
  while (list.childElementCount > 200) list.firstElementChild.remove();
  list.scrollTop = list.scrollHeight;
  (bad ? console.warn : console.log)(`[comfystream] ${msg}`);
}

function showError(e) {
  const text = e instanceof Error ? e.message : String(e);
  $('error-text').textContent = text;
  $('error').hidden = false;
  log(text, true);
}

function clearError() {
  $('error').hidden = true;
  $('error-text').textContent = '';
}

const tones = {
  idle: '', closed: '', new: 'busy', starting: 'busy', connecting: 'busy', waiting: 'busy',
  connected: 'ok', disconnected: 'busy', failed: 'bad', error: 'bad',
};

function setBadge(id, state) {
  const el = $(id);
  el.textContent = state;
  el.dataset.tone = tones[state] ?? '';
}

function readForm() {
  const width = Number($('width').value) || 512;
  const height = Number($('height').value) || 512;
  return {
    streamId: $('stream-id').value.trim() || 'default',
    workflow: ctx.workflow.kind === 'name' ? ctx.workflow.name : 'passthrough',
    source: $('source').value,
    codec: $('codec').value,
    width,
    height,
    fps: Math.min(60, Math.max(1, Number($('fps').value) || 30)),
    audio: $('mic').value !== 'none',
  };
}

// Options given to the hook go into the form first, so a scripted run looks like a clicked one.
function writeForm(o = {}) {
  if (o.streamId !== undefined) $('stream-id').value = o.streamId;
  if (o.workflow !== undefined) ctx.setWorkflow({ kind: 'name', name: o.workflow, label: o.workflow });
  for (const key of ['source', 'codec']) {
    if (o[key] === undefined) continue;
    const select = $(key);
    if (![...select.options].some((opt) => opt.value === o[key])) {
      throw new Error(`unknown ${key} "${o[key]}"`);
    }
    select.value = o[key];
  }
  if (o.width !== undefined || o.height !== undefined) {
    const cur = readForm();
    $('width').value = o.width ?? cur.width;
    $('height').value = o.height ?? cur.height;
    const size = `${$('width').value}x${$('height').value}`;
    $('size').value = [...$('size').options].some((opt) => opt.value === size) ? size : 'custom';
  }
  if (o.fps !== undefined) $('fps').value = o.fps;
  if (o.audio !== undefined) $('mic').value = o.audio ? 'default' : 'none';
}

function updateButtons() {
  $('publish').disabled = !!pub;
  $('unpublish').disabled = !pub;
  $('view').disabled = !!sub;
  $('unview').disabled = !sub;
}

// ---------------------------------------------------------------------------------------------
// Publish (WHIP)

let pub = null; // { pc, source, resource, opts, abort }

export async function publish(opts) {
  writeForm(opts);
  const o = readForm();
  clearError();
  await unpublish();
  const session = { pc: null, source: null, resource: null, opts: o, abort: new AbortController() };
  pub = session;
  updateButtons();
  setBadge('pub-state', 'starting');
  try {
    session.source = o.source === 'pattern' ? startPattern(o) : await startCamera(o);
    const { stream } = session.source;
    $('input-video').srcObject = stream;

    const pc = new RTCPeerConnection({ iceServers, bundlePolicy: 'max-bundle' });
    session.pc = pc;
    pc.addEventListener('connectionstatechange', () => {
      if (pub !== session) return;
      setBadge('pub-state', pc.connectionState);
      log(`publisher ${pc.connectionState}`, pc.connectionState === 'failed');
    });

    const videoTrack = stream.getVideoTracks()[0];
    const video = pc.addTransceiver(videoTrack, { direction: 'sendonly', streams: [stream] });
    preferCodec(video, o.codec);
    try {
      // Keep the published size: never let the encoder scale the picture down.
      const p = video.sender.getParameters();
      p.degradationPreference = 'maintain-resolution';
      await video.sender.setParameters(p);
    } catch (e) {
      log(`could not set degradationPreference: ${e.message}`);
    }
    for (const track of stream.getAudioTracks()) {
      pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
    }

    const offer = await localOffer(pc);
    const path = `/whip?streamId=${encodeURIComponent(o.streamId)}&workflow=${encodeURIComponent(o.workflow)}`;
    log(`POST ${path} (${o.source}, ${o.codec}, ${session.source.width}×${session.source.height})`);
    const res = await postOffer(path, offer, session.abort.signal);
    if (!res.ok) throw await httpError(`WHIP POST ${path}`, res);
    const location = res.headers.get('Location');
    if (location) session.resource = new URL(location, res.url);
    else log('WHIP answer has no Location header: cannot DELETE the session later', true);
    showIceInfo(res);
    const answer = await res.text();
    if (pub !== session) throw new DOMException('cancelled', 'AbortError');
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    setBadge('pub-state', pc.connectionState === 'new' ? 'connecting' : pc.connectionState);
    log(`publishing ${o.streamId} as ${session.resource?.pathname ?? '?'}`);
    return {
      location: session.resource?.pathname ?? null,
      width: session.source.width,
      height: session.source.height,
    };
  } catch (e) {
    if (pub === session) {
      if (e.name !== 'AbortError') showError(e);
      await unpublish();
      setBadge('pub-state', 'error');
    }
    throw e;
  }
}

// Stops publishing. Resolves to the DELETE status (0 when there was nothing to delete).
export async function unpublish() {
  const session = pub;
  if (!session) return 0;
  pub = null;
  updateButtons();
  session.abort.abort();
  const status = session.resource ? await deleteResource(session.resource) : 0;
  session.pc?.close();
  session.source?.stop();
  $('input-video').srcObject = null;
  $('pub-stats').textContent = '\u00a0';
  setBadge('pub-state', 'idle');
  if (session.resource) log(`stopped publishing (DELETE → ${status})`);
  return status;
}

// ---------------------------------------------------------------------------------------------
// View (WHEP)

let sub = null; // { pc, resource, opts, abort, retries }

function retryDelay(res, attempt) {
  const backoff = Math.min(500 * 2 ** attempt, 5000);
  return Math.max(retryAfterMs(res.headers.get('Retry-After')) ?? 0, backoff);
}

export async function view(opts) {
  writeForm(opts);
  const o = readForm();
  clearError();
  await stopView();
  const session = { pc: null, resource: null, opts: o, abort: new AbortController(), retries: 0 };
  sub = session;
  updateButtons();
  setBadge('view-state', 'starting');
  try {
    const pc = new RTCPeerConnection({ iceServers, bundlePolicy: 'max-bundle' });
    session.pc = pc;
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    const out = new MediaStream();
    $('output-video').srcObject = out;
    pc.addEventListener('track', (e) => out.addTrack(e.track));
    pc.addEventListener('connectionstatechange', () => {
      if (sub !== session) return;
      setBadge('view-state', pc.connectionState);
      log(`viewer ${pc.connectionState}`, pc.connectionState === 'failed');
    });

    const offer = await localOffer(pc);
    const path = `/whep?streamId=${encodeURIComponent(o.streamId)}`;
    let res;
    for (let attempt = 0; ; attempt++) {
      log(`POST ${path}${attempt ? ` (retry ${attempt})` : ''}`);
      res = await postOffer(path, offer, session.abort.signal);
      const retryable = res.status === 409 || (res.status === 503 && res.headers.has('Retry-After'));
      if (!retryable) break;
      // 409: the stream has no publisher yet; 503: the stream has all the viewers it takes.
      const err = await httpError(`WHEP POST ${path}`, res);
      const wait = retryDelay(res, attempt);
      session.retries++;
      setBadge('view-state', 'waiting');
      $('view-stats').textContent = res.status === 409
        ? `no publisher on "${o.streamId}" yet (${err.detail || 409}); retrying in ${(wait / 1000).toFixed(1)} s`
        : `${err.message}; retrying in ${(wait / 1000).toFixed(1)} s`;
      log(`${err.message}; retrying in ${wait} ms`);
      await sleep(wait, session.abort.signal);
    }
    if (!res.ok) throw await httpError(`WHEP POST ${path}`, res);
    const location = res.headers.get('Location');
    if (location) session.resource = new URL(location, res.url);
    else log('WHEP answer has no Location header: cannot DELETE the session later', true);
    showIceInfo(res);
    const answer = await res.text();
    if (sub !== session) throw new DOMException('cancelled', 'AbortError');
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    $('view-stats').textContent = '\u00a0';
    setBadge('view-state', pc.connectionState === 'new' ? 'connecting' : pc.connectionState);
    log(`viewing ${o.streamId} as ${session.resource?.pathname ?? '?'}`);
    return { location: session.resource?.pathname ?? null, retries: session.retries };
  } catch (e) {
    if (sub === session) {
      if (e.name !== 'AbortError') showError(e);
      await stopView();
      setBadge('view-state', 'error');
    }
    throw e;
  }
}

// Stops viewing. Resolves to the DELETE status (0 when there was nothing to delete).
export async function stopView() {
  const session = sub;
  if (!session) return 0;
  sub = null;
  updateButtons();
  session.abort.abort();
  const status = session.resource ? await deleteResource(session.resource) : 0;
  session.pc?.close();
  $('output-video').srcObject = null;
  $('view-stats').textContent = '\u00a0';
  setBadge('view-state', 'idle');
  if (session.resource) log(`stopped viewing (DELETE → ${status})`);
  return status;
}

// ---------------------------------------------------------------------------------------------
// Stats (getStats, once a second on screen; on demand through the hook)

function rtpStats(report, type, kind) {
  let rtp = null;
  report.forEach((s) => { if (s.type === type && s.kind === kind && !rtp) rtp = s; });
  if (!rtp) return null;
  const codec = rtp.codecId ? report.get(rtp.codecId) : null;
  return { ...rtp, codec: codec ? codec.mimeType.split('/')[1] : null };
}

async function publisherStats(session) {
  const report = await session.pc.getStats();
  const v = rtpStats(report, 'outbound-rtp', 'video');
  const a = rtpStats(report, 'outbound-rtp', 'audio');
  return {
    connectionState: session.pc.connectionState,
    location: session.resource?.pathname ?? null,
    sourceWidth: session.source?.width ?? 0,
    sourceHeight: session.source?.height ?? 0,
    codec: v?.codec ?? null,
    framesEncoded: v?.framesEncoded ?? 0,
    framesSent: v?.framesSent ?? 0,
    frameWidth: v?.frameWidth ?? 0,
    frameHeight: v?.frameHeight ?? 0,
    framesPerSecond: v?.framesPerSecond ?? 0,
    encoderImplementation: v?.encoderImplementation ?? null,
    qualityLimitationReason: v?.qualityLimitationReason ?? null,
    bytesSent: v?.bytesSent ?? 0,
    audioCodec: a?.codec ?? null,
    audioPacketsSent: a?.packetsSent ?? 0,
  };
}

async function viewerStats(session) {
  const report = await session.pc.getStats();
  const v = rtpStats(report, 'inbound-rtp', 'video');
  const a = rtpStats(report, 'inbound-rtp', 'audio');
  const el = $('output-video');
  return {
    connectionState: session.pc.connectionState,
    location: session.resource?.pathname ?? null,
    retries: session.retries,
    codec: v?.codec ?? null,
    framesDecoded: v?.framesDecoded ?? 0,
    framesReceived: v?.framesReceived ?? 0,
    keyFramesDecoded: v?.keyFramesDecoded ?? 0,
    frameWidth: v?.frameWidth ?? 0,
    frameHeight: v?.frameHeight ?? 0,
    framesPerSecond: v?.framesPerSecond ?? 0,
    decoderImplementation: v?.decoderImplementation ?? null,
    packetsLost: v?.packetsLost ?? 0,
    bytesReceived: v?.bytesReceived ?? 0,
    audioCodec: a?.codec ?? null,
    audioPacketsReceived: a?.packetsReceived ?? 0,
    videoWidth: el.videoWidth,
    videoHeight: el.videoHeight,
  };
}

export async function stats() {
  const [publisher, viewer] = await Promise.all([
    pub?.pc ? publisherStats(pub) : null,
    sub?.pc ? viewerStats(sub) : null,
  ]);
  return { publisher, viewer };
}

const fps = (n) => (n ? n.toFixed(1) : '0');
const size = (w, h) => (w ? `${w}×${h}` : '—');

async function refreshStats() {
  try {
    const [pubBefore, subBefore] = [pub, sub];
    const { publisher: p, viewer: v } = await stats();
    // Skip a sample that raced with stop: it would leave stale numbers on screen.
    if (p && pub === pubBefore && p.connectionState !== 'new') {
      $('pub-stats').textContent = `${p.framesEncoded} frames encoded · ${fps(p.framesPerSecond)} fps · `
        + `${p.codec ?? '—'} ${size(p.frameWidth, p.frameHeight)}`
        + (p.qualityLimitationReason && p.qualityLimitationReason !== 'none' ? ` · limited by ${p.qualityLimitationReason}` : '');
    }
    if (v && sub === subBefore && v.connectionState !== 'new') {
      $('view-stats').textContent = `${v.framesDecoded} frames decoded · ${fps(v.framesPerSecond)} fps · `
        + `${v.codec ?? '—'} ${size(v.frameWidth, v.frameHeight)}`
        + (v.audioCodec ? ` · ${v.audioCodec} ${v.audioPacketsReceived} pkts` : '');
    }
  } catch (e) {
    console.warn('getStats failed', e);
  }
}

// ---------------------------------------------------------------------------------------------
// Wiring

const quietly = (promise) => promise.catch(() => {}); // errors are already on screen

$('publish').addEventListener('click', () => quietly(publish()));
$('unpublish').addEventListener('click', () => quietly(unpublish()));
$('view').addEventListener('click', () => quietly(view()));
$('unview').addEventListener('click', () => quietly(stopView()));
$('error-close').addEventListener('click', clearError);
$('settings').addEventListener('submit', (e) => e.preventDefault());
window.addEventListener('pagehide', () => { unpublish(); stopView(); });

$('size').addEventListener('change', () => {
  if ($('size').value === 'custom') return;
  const [w, h] = $('size').value.split('x');
  $('width').value = w;
  $('height').value = h;
});
writeForm({ streamId: params.get('streamId') ?? undefined, workflow: params.get('workflow') ?? undefined });
for (const [id, panel] of [['workflow-panel', workflowsPanel], ['controls-panel', controlsPanel],
  ['text-panel', textPanel], ['recordings-panel', recordingsPanel], ['pushes-panel', pushesPanel]]) {
  try {
    panel.mount($(id), ctx);
  } catch (e) {
    console.error(`[comfystream] ${id} failed to mount`, e);
  }
}
setInterval(refreshStats, 1000);
updateButtons();

window.comfystream = { publish, unpublish, view, stopView, stats, pattern, iceServers, serverBase };
