// Sizes, durations and times as the studio's panels show them. No DOM.

// 1536 → "1.5 KiB"; null/undefined → "—".
export function formatBytes(n) {
  if (n === null || n === undefined || !Number.isFinite(Number(n))) return '—';
  let v = Number(n);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

// Seconds as m:ss (h:mm:ss past an hour): 75.4 → "1:15".
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(Number(seconds))) return '—';
  const s = Math.max(0, Math.floor(Number(seconds)));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

// Unix seconds as local HH:MM:SS (the date too when it is not today).
export function formatClock(unixSeconds, now = new Date()) {
  if (!unixSeconds) return '—';
  const d = new Date(Number(unixSeconds) * 1000);
  const time = d.toLocaleTimeString([], { hour12: false });
  return d.toDateString() === now.toDateString() ? time : `${d.toLocaleDateString()} ${time}`;
}
