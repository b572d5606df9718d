// The set-up panel: stream id, video and audio sources (cameras and microphones from
// enumerateDevices, the test pattern, "No video", a test tone, "No audio"), the published size
// (multiples of 64 in 64–2048, as the original) and frame rate, codec, the Bearer token, and a
// viewer link to share. The form lives in index.html (#settings); this module wires it.
import { listDevices } from '../lib/capture.js';

const TOKEN_KEY = 'comfystream.token';
const SIZE_MIN = 64;
const SIZE_MAX = 2048;

// A typed size → the nearest multiple of 64 in 64–2048 (the original's rule).
export const snapSize = (v, fallback = 512) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) return fallback;
  return Math.min(SIZE_MAX, Math.max(SIZE_MIN, Math.round(n / 64) * 64));
};

// params: the page's URLSearchParams; serverParam: the ?server= value (kept in the viewer link).
export function mount(el, ctx, { params = new URLSearchParams(), serverParam = null } = {}) {
  const $ = (id) => el.querySelector(`#${id}`);
  const source = $('source');
  const mic = $('mic');
  const size = $('size');
  const width = $('width');
  const height = $('height');
  const token = $('token');
  const streamIdField = $('stream-id');

  // --- token: the field wins; ?token= is read for older links, sessionStorage keeps it for the tab.
  token.value = params.get('token') ?? sessionStorage.getItem(TOKEN_KEY) ?? '';
  ctx.api.token = token.value.trim();
  let tokenTimer = null;
  const saveToken = () => {
    ctx.api.token = token.value.trim();
    if (ctx.api.token) sessionStorage.setItem(TOKEN_KEY, ctx.api.token);
    else sessionStorage.removeItem(TOKEN_KEY);
    // Panels that were refused (401) ask again once the typing pauses, not on every keystroke.
    clearTimeout(tokenTimer);
    tokenTimer = setTimeout(() => ctx.emit('token', {}), 300);
  };
  token.addEventListener('input', saveToken);

  // --- stream id and the viewer link
  const link = $('viewer-link');
  const updateLink = () => {
    const url = new URL('view.html', location.href);
    url.search = '';
    url.searchParams.set('streamId', ctx.streamId());
    if (serverParam) url.searchParams.set('server', serverParam);
    link.href = url.href;
    link.textContent = url.href;
  };
  streamIdField.addEventListener('input', () => ctx.setStreamId(streamIdField.value.trim() || 'default'));
  ctx.on('stream', ({ streamId }) => {
    if ((streamIdField.value.trim() || 'default') !== streamId) streamIdField.value = streamId;
    updateLink();
  });
  $('copy-link').addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(link.href);
      ctx.say('ok', 'Viewer link copied');
    } catch {
      // No clipboard permission (or not a secure context): select the text for a manual copy.
      getSelection().selectAllChildren(link);
      ctx.say('info', 'Select and copy the viewer link');
    }
  });

  // --- size: a preset fills width and height; typed values snap to multiples of 64.
  size.addEventListener('change', () => {
    if (size.value === 'custom') return;
    const [w, h] = size.value.split('x');
    width.value = w;
    height.value = h;
  });
  for (const field of [width, height]) {
    field.addEventListener('change', () => {
      field.value = snapSize(field.value);
      const key = `${width.value}x${height.value}`;
      size.value = [...size.options].some((o) => o.value === key) ? key : 'custom';
    });
  }

  // --- devices: refreshed on devicechange; the choice survives a refresh when the device stays.
  const fill = (select, devices, prefix, fixed) => {
    const keep = select.value;
    select.replaceChildren(...fixed.slice(0, 1).map(([v, t]) => new Option(t, v)),
      ...devices.map((d) => new Option(d.label, `${prefix}${d.deviceId}`)),
      ...fixed.slice(1).map(([v, t]) => new Option(t, v)));
    if ([...select.options].some((o) => o.value === keep)) select.value = keep;
  };
  const VIDEO_FIXED = [['camera', 'default camera'], ['pattern', 'test pattern'], ['none', 'No video']];
  const AUDIO_FIXED = [['default', 'default microphone'], ['tone', 'test tone'], ['none', 'No audio']];
  let asked = false;
  const refresh = async (ask) => {
    if (!navigator.mediaDevices?.enumerateDevices) return; // not a secure context
    asked ||= ask;
    try {
      const { cameras, mics } = await listDevices({ ask });
      fill(source, cameras, 'device:', VIDEO_FIXED);
      fill(mic, mics, 'device:', AUDIO_FIXED);
      el.dataset.devices = `${cameras.length} cameras, ${mics.length} microphones`;
    } catch (e) {
      console.warn('[comfystream] enumerateDevices failed', e);
    }
  };
  fill(source, [], 'device:', VIDEO_FIXED);
  fill(mic, [], 'device:', AUDIO_FIXED);
  refresh(false);
  // Asking for permission (to see the devices' names) waits for the user to open a picker.
  for (const select of [source, mic]) {
    select.addEventListener('pointerdown', () => { if (!asked) refresh(true); });
    select.addEventListener('focus', () => { if (!asked) refresh(true); });
  }
  navigator.mediaDevices?.addEventListener?.('devicechange', () => refresh(false));

  // The form as publish() takes it.
  const read = () => {
    const pick = (v) => (v.startsWith('device:') ? { deviceId: v.slice(7) } : v);
    return {
      streamId: streamIdField.value.trim() || 'default',
      source: source.value.startsWith('device:') ? 'camera' : source.value,
      video: pick(source.value),
      audioSource: pick(mic.value),
      codec: $('codec').value,
      width: Number(width.value) || 512,
      height: Number(height.value) || 512,
      fps: Math.min(60, Math.max(1, Number($('fps').value) || 30)),
      audio: mic.value !== 'none',
    };
  };

  // Options given to the test hooks go into the form first, so a scripted run looks like a
  // clicked one. Sizes from the hooks are taken as given (the older suites publish 320×240).
  const write = (o = {}) => {
    if (o.streamId !== undefined) {
      streamIdField.value = o.streamId;
      ctx.setStreamId(o.streamId || 'default');
    }
    if (o.source !== undefined) {
      if (![...source.options].some((opt) => opt.value === o.source)) throw new Error(`unknown source "${o.source}"`);
      source.value = o.source;
    }
    if (o.codec !== undefined) {
      if (![...$('codec').options].some((opt) => opt.value === o.codec)) throw new Error(`unknown codec "${o.codec}"`);
      $('codec').value = o.codec;
    }
    if (o.width !== undefined) width.value = o.width;
    if (o.height !== undefined) height.value = o.height;
    if (o.width !== undefined || o.height !== undefined) {
      const key = `${width.value}x${height.value}`;
      size.value = [...size.options].some((opt) => opt.value === key) ? key : 'custom';
    }
    if (o.fps !== undefined) $('fps').value = o.fps;
    if (o.audio !== undefined) mic.value = !o.audio ? 'none' : source.value === 'pattern' ? 'tone' : 'default';
  };

  updateLink();
  return { read, write, refreshDevices: () => refresh(true) };
}
