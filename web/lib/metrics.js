// The Prometheus text of GET /metrics (docs/API.md "Metrics"), read for one stream. No DOM.

// One sample line: `name{label="v",…} value` (a timestamp after the value is ignored).
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
const unescape = (v) => v.replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));

// → [{name, labels: {…}, value: Number}], comments and blank lines skipped.
export function parseMetrics(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) continue;
    const labels = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]] = unescape(l[2]);
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

// The per-stream figures for `streamId`, or null when /metrics has no series for it.
// latencyMeanMs: the mean server-added latency since the stream began (_sum / _count).
export function streamMetrics(text, streamId) {
  const mine = parseMetrics(text).filter((s) => s.labels.stream_id === streamId);
  if (!mine.length) return null;
  const one = (name) => mine.find((s) => s.name === name)?.value ?? null;
  const dropped = {};
  for (const s of mine) {
    if (s.name === 'comfystream_stream_frames_dropped_total') dropped[s.labels.reason] = s.value;
  }
  const sum = one('comfystream_stream_server_latency_seconds_sum');
  const count = one('comfystream_stream_server_latency_seconds_count');
  return {
    inputFps: one('comfystream_stream_input_fps'),
    outputFps: one('stream_fps'),
    viewers: one('comfystream_stream_viewers'),
    framesReceived: one('comfystream_stream_frames_received_total'),
    framesProcessed: one('comfystream_stream_frames_processed_total'),
    dropped,
    droppedTotal: Object.values(dropped).reduce((a, b) => a + b, 0),
    latencyMeanMs: count ? (sum / count) * 1000 : null,
  };
}
