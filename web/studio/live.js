// The live panel: the processed output large with the input beside it (a thumbnail on a narrow
// screen), a "warming up" overlay until the first processed frames are shown, the figures of the
// stream (fps in and out, server-added latency, drops, viewers: GET /stream/{id}/stats,
// /metrics, and the page's own WHEP events), the connection badges, and the toasts
// (role=status) for every ctx 'message'.
import { streamMetrics } from '../lib/metrics.js';

// Frames shown before the overlay goes (the original waits for 6 too: the first few frames of a
// new stream are often the warm-up's).
const WARM_FRAMES = 6;
const TOAST_MS = 8000;
const MAX_TOASTS = 5;

const tones = {
  idle: '', closed: '', new: 'busy', starting: 'busy', connecting: 'busy', waiting: 'busy',
  connected: 'ok', live: 'ok', disconnected: 'busy', failed: 'bad', error: 'bad', ended: 'bad',
};

const FIGURES = [
  ['fps-in', 'fps in'],
  ['fps-out', 'fps out'],
  ['latency', 'server latency'],
  ['drops', 'dropped'],
  ['viewers', 'viewers'],
  ['processed', 'processed'],
];

// rtcStats: () → Promise<{publisher, viewer}> (the getStats summaries), for the fps the
// browser itself measures when the server's figures are not reachable.
export function mount(el, ctx, { rtcStats = async () => ({}) } = {}) {
  const doc = el.ownerDocument;
  const byId = (id) => doc.getElementById(id);
  const output = byId('output-video');
  const input = byId('input-video');
  const warmup = byId('warmup');
  const toasts = byId('toasts');
  const figuresEl = byId('live-stats');

  // --- figures
  const dd = {};
  figuresEl.replaceChildren(...FIGURES.map(([key, label]) => {
    const div = doc.createElement('div');
    const dt = doc.createElement('dt');
    dt.textContent = label;
    dd[key] = doc.createElement('dd');
    dd[key].id = `fig-${key}`;
    dd[key].textContent = '—';
    div.append(dt, dd[key]);
    return div;
  }));
  // The latest numbers, for the hook window.comfystream.figures(): null where unknown.
  const figures = { fpsIn: null, fpsOut: null, latencyMs: null, dropped: null, viewers: null, processed: null,
    workflow: null, paused: null, source: null };
  const fmt = (v, digits = 0, unit = '') => (v === null || v === undefined ? '—' : `${Number(v).toFixed(digits)}${unit}`);
  const render = () => {
    dd['fps-in'].textContent = fmt(figures.fpsIn, 1);
    dd['fps-out'].textContent = fmt(figures.fpsOut, 1);
    dd.latency.textContent = fmt(figures.latencyMs, 1, ' ms');
    dd.drops.textContent = fmt(figures.dropped);
    dd.viewers.textContent = fmt(figures.viewers);
    dd.processed.textContent = fmt(figures.processed);
  };

  // --- state: what this page does with the stream
  let publishing = false;
  let viewing = false;
  let sseViewers = null; // the page's own viewer session's viewercount, fresher than polling
  let streamActive = null; // from the page's viewer events: false once the stream stopped
  // /metrics needs the admin token on a server that has one: after a 401/403, asked again only
  // once the token changes.
  let metricsRefusedFor = null;

  const badge = (id, state) => {
    const b = byId(id);
    b.textContent = state;
    b.dataset.tone = tones[state] ?? '';
  };

  // --- warm-up overlay: from the moment a viewer starts until WARM_FRAMES frames were shown.
  let shown = 0;
  let watching = null;
  let counting = false; // one requestVideoFrameCallback chain at a time
  const countFrames = (video) => {
    if (counting) return;
    counting = true;
    const tick = () => {
      if (watching !== video) {
        counting = false;
        return;
      }
      shown++;
      if (shown >= WARM_FRAMES) {
        warmup.hidden = true;
        el.dataset.output = 'playing';
        counting = false;
        return;
      }
      video.requestVideoFrameCallback(tick);
    };
    video.requestVideoFrameCallback(tick);
  };
  const setWarmup = (text) => {
    warmup.textContent = text;
    warmup.hidden = false;
    el.dataset.output = 'warming';
  };

  // The boxes take the stream's shape once its size is known (square until then).
  for (const video of [output, input]) {
    video.addEventListener('resize', () => {
      video.style.aspectRatio = video.videoWidth ? `${video.videoWidth} / ${video.videoHeight}` : '';
    });
  }

  // --- toasts
  const toast = ({ level = 'info', text }) => {
    // The same words again (a panel polling a refusing server) refresh the toast, not stack it.
    for (const old of toasts.children) {
      if (old.textContent === text && old.dataset.level === level) old.remove();
    }
    const t = doc.createElement('div');
    t.className = 'toast';
    t.dataset.level = level;
    t.textContent = text;
    toasts.append(t);
    while (toasts.childElementCount > MAX_TOASTS) toasts.firstElementChild.remove();
    setTimeout(() => t.remove(), level === 'error' ? TOAST_MS * 2 : TOAST_MS);
  };
  ctx.on('message', toast);
  // A tap dismisses a toast; going live clears the errors that came before it.
  toasts.addEventListener('click', (e) => { if (e.target.classList?.contains('toast')) e.target.remove(); });
  ctx.on('live', () => {
    for (const t of [...toasts.children]) if (t.dataset.level === 'error') t.remove();
  });

  // --- polling the server's figures while the page publishes or views
  let timer = null;
  const poll = async () => {
    const id = ctx.streamId();
    const [stats, metricsText, rtc] = await Promise.all([
      ctx.api.get(`/stream/${encodeURIComponent(id)}/stats`).catch((e) => (e.status === 404 ? null : undefined)),
      metricsRefusedFor === ctx.api.token ? null : ctx.api.text('/metrics').catch((e) => {
        if (e.status === 401 || e.status === 403) metricsRefusedFor = ctx.api.token;
        return null;
      }),
      rtcStats().catch(() => ({})),
    ]);
    if (id !== ctx.streamId()) return;
    const m = metricsText ? streamMetrics(metricsText, id) : null;
    if (stats === null) {
      // The stream does not exist (no publisher yet, or it ended).
      Object.assign(figures, { fpsOut: null, latencyMs: null, dropped: null, processed: null, workflow: null });
      figures.viewers = sseViewers;
    } else if (stats) {
      figures.fpsOut = stats.fps ?? null;
      figures.latencyMs = stats.server_latency_ms?.samples ? stats.server_latency_ms.p50 : null;
      figures.dropped = (stats.frames_dropped ?? 0) + (stats.frames_failed ?? 0) + (stats.encoder_frames_dropped ?? 0);
      figures.processed = stats.frames_processed ?? null;
      figures.viewers = sseViewers ?? stats.viewers ?? null;
      figures.workflow = stats.workflow ?? null;
      figures.paused = stats.paused ?? null;
      figures.source = 'stats';
    }
    if (m) {
      figures.fpsIn = m.inputFps;
      if (figures.latencyMs === null && m.latencyMeanMs !== null) figures.latencyMs = m.latencyMeanMs;
      if (figures.dropped === null) figures.dropped = m.droppedTotal;
      if (figures.viewers === null) figures.viewers = m.viewers;
    } else if (rtc.publisher) {
      // Without /metrics: the rate the browser encodes is the rate the server receives.
      figures.fpsIn = rtc.publisher.framesPerSecond ?? null;
    } else {
      figures.fpsIn = null;
    }
    if (streamActive === false) {
      // The server's rates keep their last sample while no frame comes: nothing flows now.
      figures.fpsIn = 0;
      figures.fpsOut = 0;
    }
    render();
  };
  const schedule = () => {
    if ((publishing || viewing) && !timer) {
      timer = setInterval(() => { poll().catch(() => {}); }, 1000);
      poll().catch(() => {});
    } else if (!publishing && !viewing && timer) {
      clearInterval(timer);
      timer = null;
    }
  };
  ctx.on('stream', () => {
    sseViewers = null;
    poll().catch(() => {});
  });

  // The controller app.js drives.
  return {
    figures: () => ({ ...figures, overlay: !warmup.hidden, framesShown: shown }),
    publisherState(state) {
      badge('pub-state', state);
      const was = publishing;
      publishing = !['idle', 'closed', 'error', 'failed', 'ended'].includes(state);
      if (was !== publishing) schedule();
    },
    viewerState(state) {
      badge('view-state', state);
      if (state === 'waiting') setWarmup('waiting for the publisher…');
      else if (state === 'connecting' || state === 'starting') {
        if (shown < WARM_FRAMES) setWarmup('warming up…');
      }
      const was = viewing;
      viewing = !['idle', 'closed', 'error', 'failed', 'ended'].includes(state);
      if (was !== viewing) schedule();
    },
    setInput(stream) { input.srcObject = stream; },
    setOutput(stream) {
      output.srcObject = stream;
      byId('output-idle').hidden = !!stream;
      shown = 0;
      watching = stream ? output : null;
      if (stream) {
        setWarmup('warming up…');
        countFrames(output);
      } else {
        warmup.hidden = true;
        el.dataset.output = 'idle';
        sseViewers = null;
        streamActive = null;
      }
    },
    // WHEP events of the page's own viewer session.
    viewerEvent(type, data) {
      if (type === 'viewercount' && Number.isFinite(data?.viewercount)) {
        sseViewers = data.viewercount;
        figures.viewers = sseViewers;
        render();
      } else if (type === 'active') {
        streamActive = true;
      } else if (type === 'inactive') {
        streamActive = false;
        setWarmup('the stream stopped: waiting for it to come back…');
        shown = 0;
        if (watching) countFrames(output);
      }
    },
  };
}
