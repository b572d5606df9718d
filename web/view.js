// The viewer-only page (view.html?streamId=NAME[&server=URL]): one WHEP session (lib/whep.js)
// and its server-sent events (lib/events.js), with the stream's health on screen. Starts viewing
// on load and keeps waiting while the stream has no publisher.
// Test hook: window.comfystreamViewer = {view, stopView, state()}.
import { ServerApi } from './lib/api.js';
import { WhepEvents } from './lib/events.js';
import { iceServersFromParam } from './lib/ice.js';
import { viewerStats } from './lib/stats.js';
import { WhepViewer } from './lib/whep.js';

const TOKEN_KEY = 'comfystream.token';
const params = new URLSearchParams(location.search);
const streamId = params.get('streamId') || 'default';
const api = new ServerApi({ base: params.get('server') ?? location.origin });
const iceServers = iceServersFromParam(params.get('ice'));
const $ = (id) => document.getElementById(id);

$('token').value = sessionStorage.getItem(TOKEN_KEY) ?? '';
api.token = $('token').value.trim();
$('token').addEventListener('input', () => {
  api.token = $('token').value.trim();
  if (api.token) sessionStorage.setItem(TOKEN_KEY, api.token);
  else sessionStorage.removeItem(TOKEN_KEY);
});
document.title = `${streamId} · comfystream viewer`;
$('vp-title').textContent = `viewing "${streamId}"`;

const health = { state: 'idle', active: null, viewers: null, fps: 0, width: 0, height: 0, framesDecoded: 0 };
const tones = { connected: 'ok', waiting: 'busy', connecting: 'busy', failed: 'bad', error: 'bad' };
const setState = (state) => {
  health.state = state;
  $('view-state').textContent = state;
  $('view-state').dataset.tone = tones[state] ?? '';
};
const overlay = (text) => {
  $('warmup').textContent = text ?? '';
  $('warmup').hidden = !text;
};

let session = null;

async function view() {
  await stopView();
  $('error').hidden = true;
  const viewer = new WhepViewer({ api, iceServers });
  const events = new WhepEvents({ api });
  const s = { viewer, events };
  session = s;
  $('view').disabled = true;
  $('unview').disabled = false;
  $('output-video').srcObject = viewer.stream;
  setState('connecting');
  overlay('connecting…');
  viewer.addEventListener('state', ({ detail }) => { if (session === s) setState(detail); });
  viewer.addEventListener('waiting', () => {
    if (session !== s) return;
    setState('waiting');
    overlay(`waiting for "${streamId}" to be published…`);
  });
  events.addEventListener('active', () => { health.active = true; $('vp-health').textContent = 'live'; });
  events.addEventListener('inactive', () => {
    health.active = false;
    $('vp-health').textContent = 'stopped';
    overlay('the stream stopped: waiting for it to come back…');
  });
  events.addEventListener('viewercount', ({ detail }) => {
    health.viewers = detail.viewercount;
    $('vp-viewers').textContent = String(detail.viewercount);
  });
  try {
    await viewer.start({ streamId });
    if (session !== s) return;
    await events.open(viewer.location).catch(() => {});
  } catch (e) {
    if (session !== s || e.name === 'AbortError') return;
    $('error-text').textContent = e.status === 401
      ? `${e.message}\nThe server asks for a token: enter it below and press View.` : e.message;
    $('error').hidden = false;
    setState('error');
    overlay(null);
    session = null;
    $('view').disabled = false;
    $('unview').disabled = true;
  }
}

async function stopView() {
  const s = session;
  if (!s) return 0;
  session = null;
  $('view').disabled = false;
  $('unview').disabled = true;
  await s.events.close();
  const status = await s.viewer.stop();
  $('output-video').srcObject = null;
  setState('idle');
  overlay(null);
  return status;
}

// Health once a second: the decoder's fps and size; the overlay goes once frames are shown.
setInterval(async () => {
  if (!session?.viewer.pc) return;
  const v = await viewerStats(session.viewer.pc).catch(() => null);
  if (!v) return;
  Object.assign(health, { fps: v.framesPerSecond ?? 0, width: v.frameWidth, height: v.frameHeight, framesDecoded: v.framesDecoded });
  $('vp-fps').textContent = (v.framesPerSecond ?? 0).toFixed(1);
  $('vp-size').textContent = v.frameWidth ? `${v.frameWidth}×${v.frameHeight}` : '—';
  if (v.framesDecoded >= 6 && health.active !== false) overlay(null);
}, 1000);

$('output-video').addEventListener('resize', (e) => {
  const v = e.target;
  v.style.aspectRatio = v.videoWidth ? `${v.videoWidth} / ${v.videoHeight}` : '';
});
$('view').addEventListener('click', () => { view(); });
$('unview').addEventListener('click', () => { stopView(); });
$('error-close').addEventListener('click', () => { $('error').hidden = true; });
window.addEventListener('pagehide', () => { stopView(); });
window.comfystreamViewer = { view, stopView, state: () => ({ ...health }) };
view();
