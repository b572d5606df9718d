// comfystream studio: the page's entry point. Wiring only: the WebRTC clients are in lib/
// (whip.js, whep.js, events.js, control.js, stats.js, capture.js; no DOM), the panels in studio/
// (each `mount(el, ctx)`), the shared state in studio/context.js. Plain ES modules, no build step.
// HTTP contract: docs/API.md; the page's guide: docs/WEB.md.
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
//   ?token=T           Read for older links only: the Token field is the way (kept in this tab's
//                      sessionStorage, sent as `Authorization: Bearer`, never put in a URL).
//
// Test hook: window.comfystream = {publish, unpublish, view, stopView, stats, figures, pattern,
// iceServers, serverBase, ctx}. The buttons call exactly these functions (see the bottom).

import { ServerApi } from './lib/api.js';
import { pattern, startCapture } from './lib/capture.js';
import { WhepEvents } from './lib/events.js';
import { iceServersFromLink, iceServersFromParam } from './lib/ice.js';
import { publisherStats, viewerStats } from './lib/stats.js';
import { WhepViewer } from './lib/whep.js';
import { WhipPublisher } from './lib/whip.js';
import { StudioContext } from './studio/context.js';
import * as controlsPanel from './studio/controls.js';
import * as livePanel from './studio/live.js';
import * as pushesPanel from './studio/pushes.js';
import * as recordingsPanel from './studio/recordings.js';
import * as setupPanel from './studio/setup.js';
import * as textPanel from './studio/text-output.js';
import * as workflowsPanel from './studio/workflows.js';

export { pattern };

const params = new URLSearchParams(location.search);
export const iceServers = iceServersFromParam(params.get('ice'));
const serverBase = params.get('server')
  ?? (location.protocol.startsWith('http') ? location.origin : 'http://127.0.0.1:8889');

const $ = (id) => document.getElementById(id);

const api = new ServerApi({ base: serverBase });
const ctx = new StudioContext({ api, streamId: params.get('streamId') || 'default' });

// ---------------------------------------------------------------------------------------------
// Log, error box

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

// The server's refusal in words, with what to do about the common ones.
function explain(e) {
  const text = e instanceof Error ? e.message : String(e);
  if (e?.status === 401) {
    return `${text}\nThe server asks for a token: enter it in the Token field (set-up) and try again.`;
  }
  if (e?.status === 403) return `${text}\nThis token may not do that on this stream.`;
  return text;
}

function showError(e) {
  const text = explain(e);
  $('error-text').textContent = text;
  $('error').hidden = false;
  log(text, true);
}

function clearError() {
  $('error').hidden = true;
  $('error-text').textContent = '';
}

ctx.on('message', ({ level, text }) => log(text, level === 'error'));

function showIceInfo(linkHeader) {
  const offered = iceServersFromLink(linkHeader);
  const used = iceServers.length ? iceServers.map((s) => s.urls).join(', ') : 'none (host candidates only; add ?ice=URL,...)';
  const fromServer = offered.length
    ? offered.map((s) => s.urls + (s.username ? ` (user ${s.username})` : '')).join(', ')
    : 'none';
  $('ice-info').textContent = `ICE servers in use: ${used}. Offered by the server (Link, not used): ${fromServer}.`;
}

// ---------------------------------------------------------------------------------------------
// Panels

const setup = setupPanel.mount($('setup-panel'), ctx, { params, serverParam: params.get('server') });
const live = livePanel.mount($('live-panel'), ctx, { rtcStats: () => stats() });
for (const [id, panel] of [['workflow-panel', workflowsPanel], ['controls-panel', controlsPanel],
  ['text-panel', textPanel], ['recordings-panel', recordingsPanel], ['pushes-panel', pushesPanel]]) {
  try {
    panel.mount($(id), ctx);
  } catch (e) {
    console.error(`[comfystream] ${id} failed to mount`, e);
  }
}

function updateButtons() {
  $('publish').disabled = !!pub;
  $('unpublish').disabled = !pub;
  $('view').disabled = !!sub;
  $('unview').disabled = !sub;
}

// Options given to a hook: the form's, plus the workflow by name.
function applyOptions(opts = {}) {
  setup.write(opts);
  if (opts.workflow !== undefined) ctx.setWorkflow({ kind: 'name', name: opts.workflow, label: opts.workflow });
}

// ---------------------------------------------------------------------------------------------
// Publish (WHIP)

let pub = null; // { publisher, capture, opts }

export async function publish(opts) {
  applyOptions(opts);
  const o = setup.read();
  clearError();
  await unpublish();
  const session = { publisher: null, capture: null, opts: o, cancelled: false };
  pub = session;
  updateButtons();
  live.publisherState('starting');
  const workflow = ctx.workflow;
  try {
    // A workflow from files goes first by POST /prompt: the server keeps it for the stream's next
    // publisher that names no ?workflow= (and validates it now: a refusal comes back, shown per
    // node in the workflow panel, before anything is published). A named one goes in the WHIP URL.
    if (workflow.kind === 'prompts') log(`POST /prompt?streamId=${o.streamId} (${workflow.label})`);
    const { workflow: workflowName } = await workflowsPanel.applyBeforePublish(ctx, o.streamId);
    session.capture = await startCapture({
      video: o.video, audio: o.audioSource, width: o.width, height: o.height, fps: o.fps,
    });
    if (pub !== session) throw new DOMException('cancelled', 'AbortError');
    live.setInput(session.capture.stream);

    const publisher = new WhipPublisher({ api, iceServers, log });
    session.publisher = publisher;
    publisher.addEventListener('state', ({ detail: state }) => {
      if (pub !== session) return;
      live.publisherState(state === 'connected' ? 'connected' : state);
      log(`publisher ${state}`, state === 'failed');
      if (state === 'connected') {
        ctx.emit('live', { streamId: o.streamId, location: publisher.location });
      } else if (state === 'failed' || state === 'disconnected') {
        // Ended on the server (another publisher took the stream over, the watchdog), or a network
        // hiccup that may heal: the session's resource tells which.
        publisher.alive().then((alive) => {
          if (pub !== session || publisher.connectionState === 'connected') return;
          if (!alive) {
            ctx.say('error', `Publishing "${o.streamId}" ended on the server (another publisher took the stream `
              + 'over, or the server ended the session)');
            unpublish({ quiet: true, ended: true }).then(() => live.publisherState('ended'));
          } else if (state === 'failed') {
            ctx.control = null;
            ctx.say('error', `The connection to the server dropped: "${o.streamId}" is no longer published`);
            ctx.emit('idle', { streamId: o.streamId, reason: 'dropped' });
          } else {
            ctx.say('warn', 'The connection to the server is interrupted; waiting for it to recover…');
          }
        });
      }
    });
    publisher.addEventListener('control', ({ detail: control }) => {
      if (pub !== session) return;
      ctx.control = control;
      // The size warm-up uses before frames arrive, as the original sends it.
      if (session.capture.width) {
        control.request({ type: 'update_resolution', width: session.capture.width, height: session.capture.height })
          .catch((e) => log(`update_resolution: ${e.message}`, true));
      }
      ctx.emit('control', { control });
    });
    publisher.addEventListener('text', ({ detail }) => { if (pub === session) ctx.emit('text', detail); });

    log(`publishing ${o.streamId} (${o.source}, ${o.codec}, ${session.capture.width}×${session.capture.height}, `
      + `workflow ${workflow.label})`);
    await publisher.start({
      stream: session.capture.stream,
      streamId: o.streamId,
      workflow: workflowName,
      codec: o.codec,
    });
    showIceInfo(publisher.linkHeader);
    if (pub !== session) throw new DOMException('cancelled', 'AbortError');
    live.publisherState(publisher.connectionState === 'new' ? 'connecting' : publisher.connectionState);
    log(`publishing ${o.streamId} as ${publisher.location ?? '?'}`);
    return { location: publisher.location, width: session.capture.width, height: session.capture.height };
  } catch (e) {
    if (pub === session) {
      if (e.name !== 'AbortError') {
        showError(e);
        if (e.body?.node_errors) ctx.emit('refused', { error: e });
        ctx.say('error', e.status === 400 && e.body?.node_errors
          ? `The server refused the workflow: ${e.detail}` : explain(e).split('\n')[0]);
      }
      await unpublish({ quiet: true });
      live.publisherState('error');
    }
    throw e;
  }
}

// Stops publishing. Resolves to the DELETE status (0 when there was nothing to delete).
export async function unpublish({ quiet = false, ended = false } = {}) {
  const session = pub;
  if (!session) return 0;
  pub = null;
  updateButtons();
  // A session the server already ended needs no DELETE (it would answer 404).
  if (ended && session.publisher) session.publisher.resource = null;
  const status = session.publisher ? await session.publisher.stop() : 0;
  session.capture?.stop();
  ctx.control = null;
  live.setInput(null);
  $('pub-stats').textContent = '\u00a0';
  live.publisherState('idle');
  if (session.publisher?.resource) {
    log(`stopped publishing (DELETE → ${status})`, status !== 200);
    if (!quiet) ctx.say('info', `Stopped publishing "${session.opts.streamId}"`);
  }
  ctx.emit('idle', { streamId: session.opts.streamId, reason: ended ? 'ended' : 'stopped' });
  return status;
}

// ---------------------------------------------------------------------------------------------
// View (WHEP), with the session's server-sent events

let sub = null; // { viewer, events, opts }

export async function view(opts) {
  applyOptions(opts);
  const o = setup.read();
  clearError();
  await stopView();
  const viewer = new WhepViewer({ api, iceServers, log });
  const session = { viewer, events: null, opts: o };
  sub = session;
  updateButtons();
  live.viewerState('starting');
  live.setOutput(viewer.stream);
  try {
    viewer.addEventListener('state', ({ detail: state }) => {
      if (sub !== session) return;
      live.viewerState(state);
      log(`viewer ${state}`, state === 'failed');
      if (state === 'failed' || state === 'disconnected') checkViewer(session, state);
    });
    viewer.addEventListener('waiting', ({ detail }) => {
      if (sub !== session) return;
      live.viewerState('waiting');
      $('view-stats').textContent = detail.status === 409
        ? `no publisher on "${o.streamId}" yet (${detail.detail || 409}); retrying in ${(detail.waitMs / 1000).toFixed(1)} s`
        : `${detail.message}; retrying in ${(detail.waitMs / 1000).toFixed(1)} s`;
    });
    await viewer.start({ streamId: o.streamId });
    if (sub !== session) throw new DOMException('cancelled', 'AbortError');
    showIceInfo(viewer.linkHeader);
    $('view-stats').textContent = '\u00a0';
    live.viewerState(viewer.connectionState === 'new' ? 'connecting' : viewer.connectionState);
    log(`viewing ${o.streamId} as ${viewer.location ?? '?'}`);
    openEvents(session);
    return { location: viewer.location, retries: viewer.retries };
  } catch (e) {
    if (sub === session) {
      if (e.name !== 'AbortError') {
        showError(e);
        ctx.say('error', explain(e).split('\n')[0]);
      }
      await stopView();
      live.viewerState('error');
    }
    throw e;
  }
}

// The viewer's connection went: ended on the server (DELETE from elsewhere, the silence
// watchdog, a restart), or a network hiccup that may heal. The session's resource tells which.
async function checkViewer(session, state) {
  const alive = await session.viewer.alive();
  if (sub !== session || session.viewer.connectionState === 'connected') return;
  const id = session.opts.streamId;
  if (!alive) {
    ctx.say('error', `Viewing "${id}" ended on the server; press View to watch again`);
    session.viewer.resource = null; // nothing left to DELETE
    await stopView();
    live.viewerState('ended');
  } else if (state === 'failed') {
    ctx.say('error', `The viewer connection to "${id}" dropped`);
  } else {
    ctx.say('warn', `The viewer connection to "${id}" is interrupted; waiting for it to recover…`);
  }
}

// The viewer session's events: the viewer count, and the stream going inactive and back.
function openEvents(session) {
  if (!session.viewer.location) return;
  const events = new WhepEvents({ api });
  session.events = events;
  let wasActive = false;
  events.addEventListener('viewercount', ({ detail }) => {
    if (sub === session) live.viewerEvent('viewercount', detail);
  });
  events.addEventListener('active', () => {
    if (sub !== session) return;
    live.viewerEvent('active', {});
    if (wasActive) ctx.say('ok', `"${session.opts.streamId}" is live again`);
    wasActive = true;
  });
  events.addEventListener('inactive', () => {
    if (sub !== session) return;
    live.viewerEvent('inactive', {});
    ctx.say('warn', `The stream "${session.opts.streamId}" stopped: its publisher left or no processed frame came for 3 s`);
  });
  // The event stream ends for good with the WHEP session: find out at once, not at ICE timeout.
  events.addEventListener('end', () => { if (sub === session) checkViewer(session, 'disconnected'); });
  events.open(session.viewer.location).catch((e) => log(`WHEP events: ${e.message}`, true));
}

// Stops viewing. Resolves to the DELETE status (0 when there was nothing to delete).
export async function stopView() {
  const session = sub;
  if (!session) return 0;
  sub = null;
  updateButtons();
  await session.events?.close();
  const status = await session.viewer.stop();
  live.setOutput(null);
  $('view-stats').textContent = '\u00a0';
  live.viewerState('idle');
  if (session.viewer.resource) log(`stopped viewing (DELETE → ${status})`, status !== 200);
  return status;
}

// ---------------------------------------------------------------------------------------------
// Stats (getStats, once a second on screen; on demand through the hook)

export async function stats() {
  const [publisher, viewer] = await Promise.all([
    pub?.publisher?.pc ? publisherStats(pub.publisher.pc).then((s) => ({
      ...s,
      location: pub?.publisher?.location ?? null,
      sourceWidth: pub?.capture?.width ?? 0,
      sourceHeight: pub?.capture?.height ?? 0,
    })) : null,
    sub?.viewer?.pc ? viewerStats(sub.viewer.pc).then((s) => ({
      ...s,
      location: sub?.viewer?.location ?? null,
      retries: sub?.viewer?.retries ?? 0,
      videoWidth: $('output-video').videoWidth,
      videoHeight: $('output-video').videoHeight,
    })) : null,
  ]);
  return { publisher, viewer };
}

// The live panel's figures (stream stats, metrics, viewer count) and the overlay's state.
export function figures() { return live.figures(); }

const fps = (n) => (n ? n.toFixed(1) : '0');
const size = (w, h) => (w ? `${w}×${h}` : '—');

async function refreshStats() {
  try {
    const [pubBefore, subBefore] = [pub, sub];
    const { publisher: p, viewer: v } = await stats();
    // Skip a sample that raced with stop: it would leave stale numbers on screen.
    if (p && pub === pubBefore && p.connectionState !== 'new') {
      $('pub-stats').textContent = `in: ${p.framesEncoded} frames encoded · ${fps(p.framesPerSecond)} fps · `
        + `${p.codec ?? '—'} ${size(p.frameWidth, p.frameHeight)}`
        + (p.qualityLimitationReason && p.qualityLimitationReason !== 'none' ? ` · limited by ${p.qualityLimitationReason}` : '');
    }
    if (v && sub === subBefore && v.connectionState !== 'new') {
      $('view-stats').textContent = `out: ${v.framesDecoded} frames decoded · ${fps(v.framesPerSecond)} fps · `
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
window.addEventListener('pagehide', () => { unpublish({ quiet: true }); stopView(); });

applyOptions({ streamId: params.get('streamId') ?? undefined, workflow: params.get('workflow') ?? undefined });
setInterval(refreshStats, 1000);
updateButtons();

window.comfystream = {
  publish, unpublish, view, stopView, stats, figures, pattern, iceServers, serverBase, ctx,
};
