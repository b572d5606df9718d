// Recordings panel: start and stop a server-side recording of the current stream, list its
// recordings (state, duration, size, error), play one in the panel or download it.
// Server side: docs/RECORDING.md; the REST calls: lib/recordings.js.
//
// DOM (inside the panel's element): #rec-start, #rec-message, #rec-list (tbody rows
// tr[data-recording-id][data-state] with .rec-state .rec-duration .rec-size .rec-error and the
// buttons .rec-stop .rec-play .rec-download), #rec-empty, #rec-player with #rec-video.

import { RecordingsClient, recordingErrorText, recordingFileName } from '../lib/recordings.js';
import { formatBytes, formatClock, formatDuration } from '../lib/units.js';
import { PolledList } from './polled-list.js';

const TEMPLATE = `
  <h2>Recordings <span class="rec-stream"></span></h2>
  <div class="rec-bar">
    <button id="rec-start" type="button">Start recording</button>
    <span id="rec-message" class="rec-message" role="status" aria-live="polite"></span>
  </div>
  <div class="rec-scroll">
    <table id="rec-list" class="rec-table">
      <thead><tr><th>Started</th><th>State</th><th>Duration</th><th>Size</th><th></th></tr></thead>
      <tbody></tbody>
    </table>
  </div>
  <p id="rec-empty" class="rec-empty">No recordings yet.</p>
  <figure id="rec-player" class="rec-player" hidden>
    <video id="rec-video" controls playsinline></video>
    <figcaption>
      <span id="rec-player-title"></span>
      <button id="rec-player-close" type="button">Close</button>
    </figcaption>
  </figure>`;

// Badge tones, as the shell's badges (style.css [data-tone]).
const TONES = { recording: 'ok', stopped: '', failed: 'bad' };

export function mount(el, ctx) {
  el.classList.add('rec-panel');
  el.innerHTML = TEMPLATE;
  const q = (sel) => el.querySelector(sel);
  const startButton = q('#rec-start');
  const message = q('#rec-message');
  const tbody = q('#rec-list tbody');
  const empty = q('#rec-empty');
  const player = q('#rec-player');
  const video = q('#rec-video');
  const client = new RecordingsClient(ctx.api);

  let playing = null; // {id, revoke}
  let playTicket = 0;
  const busy = new Set(); // ids being stopped
  const list = new PolledList(el, ctx, {
    name: 'Recordings',
    list: (id) => client.list(id),
    errorText: recordingErrorText,
    running: (s) => s.state === 'recording',
    elements: { message, streamLabel: q('.rec-stream'), empty, tbody },
    emptyText: (id) => `No recordings of "${id}" yet.`,
    key: 'recordingId',
    makeRow,
    fillRow,
    onStream: () => {
      playTicket++;
      closePlayer();
    },
  });

  function makeRow(id) {
    const row = document.createElement('tr');
    row.dataset.recordingId = id;
    row.innerHTML = `
      <td class="rec-started"></td>
      <td><span class="rec-state badge"></span><div class="rec-error"></div></td>
      <td class="rec-duration"></td>
      <td class="rec-size"></td>
      <td class="rec-actions">
        <button class="rec-stop" type="button">Stop</button>
        <button class="rec-play" type="button">Play</button>
        <button class="rec-download" type="button">Download</button>
      </td>`;
    row.querySelector('.rec-stop').addEventListener('click', () => stop(id));
    row.querySelector('.rec-play').addEventListener('click', () => play(id));
    row.querySelector('.rec-download').addEventListener('click', () => download(id));
    return row;
  }

  function fillRow(row, s) {
    row.dataset.state = s.state;
    row.title = s.path ?? '';
    row.querySelector('.rec-started').textContent = formatClock(s.started_at);
    const state = row.querySelector('.rec-state');
    state.textContent = s.state;
    state.dataset.tone = TONES[s.state] ?? '';
    const err = row.querySelector('.rec-error');
    err.textContent = s.error ?? '';
    err.hidden = !s.error;
    row.querySelector('.rec-duration').textContent = formatDuration(s.duration);
    row.querySelector('.rec-size').textContent = formatBytes(s.bytes);
    const stopButton = row.querySelector('.rec-stop');
    stopButton.hidden = s.state !== 'recording';
    stopButton.disabled = busy.has(s.id);
    stopButton.textContent = busy.has(s.id) ? 'Stopping…' : 'Stop';
    const plays = playing?.id === s.id;
    row.classList.toggle('rec-playing', plays);
  }

  const find = (id) => list.items.find((s) => s.id === id);

  async function start() {
    const id = list.streamId;
    startButton.disabled = true;
    list.say('info', 'Starting a recording…');
    try {
      const s = await client.start(id);
      if (id !== list.streamId) return;
      list.items = [...list.items.filter((r) => r.id !== s.id), s];
      list.render();
      list.say('ok', `Recording "${id}" to ${recordingFileName(s)}.`);
    } catch (e) {
      list.say('error', recordingErrorText('start', e, id));
    } finally {
      startButton.disabled = false;
      list.poller.trigger();
    }
  }

  async function stop(recId) {
    const id = list.streamId;
    if (busy.has(recId)) return;
    busy.add(recId);
    list.render();
    list.say('info', 'Stopping: the server finalizes the file…');
    try {
      // Answers once the file has its duration and cues (a few seconds at most).
      const s = await client.stop(id, recId);
      if (id !== list.streamId) return;
      list.items = list.items.map((r) => (r.id === s.id ? s : r));
      list.say('ok', `Recording stopped: ${formatDuration(s.duration)}, ${formatBytes(s.bytes)}.`);
    } catch (e) {
      list.say('error', recordingErrorText('stop', e, id));
    } finally {
      busy.delete(recId);
      if (id === list.streamId) list.render();
      list.poller.trigger();
    }
  }

  function closePlayer() {
    video.pause();
    video.removeAttribute('src');
    video.load();
    playing?.revoke();
    playing = null;
    player.hidden = true;
    for (const row of tbody.rows) row.classList.remove('rec-playing');
  }

  async function play(recId) {
    const id = list.streamId;
    const s = find(recId);
    const ticket = ++playTicket; // a later Play (or a stream change) wins
    closePlayer();
    // With a token the whole file comes into memory before it plays (see lib/recordings.js).
    list.say('info', ctx.api.token ? `Fetching the recording with the token (${formatBytes(s?.bytes)})…` : 'Loading the recording…');
    try {
      const file = await client.fileUrl(id, recId);
      if (ticket !== playTicket || id !== list.streamId) {
        file.revoke();
        return;
      }
      playing = { id: recId, revoke: file.revoke };
      q('#rec-player-title').textContent = s ? `${recordingFileName(s)} · ${formatDuration(s.duration)}` : recId;
      player.hidden = false;
      video.src = file.url;
      list.render();
      try {
        await video.play();
      } catch (e) {
        // A paused start (autoplay policy) is fine: the controls are there. A source that
        // fails is explained by the 'error' listener below, which finds out why.
        if (e.name === 'NotSupportedError') return;
        if (e.name !== 'NotAllowedError' && e.name !== 'AbortError') throw e;
      }
      if (ticket === playTicket) list.say('ok', `Playing ${s ? recordingFileName(s) : recId}.`);
    } catch (e) {
      if (id === list.streamId) list.say('error', recordingErrorText('play', e, id));
    }
  }

  // A <video> says only that it failed. For a direct URL, ask the server for the file's first
  // byte to tell a refusal (404, 401, …, in words) from a file the browser cannot decode.
  video.addEventListener('error', async () => {
    if (player.hidden || !playing) return;
    const { id: recId } = playing;
    const id = list.streamId;
    const src = video.currentSrc;
    let text = `The browser cannot play this recording${video.error?.message ? ` (${video.error.message})` : ''}`
      + ': Matroska H.264/Opus plays in Chromium; download it for another player.';
    if (!src.startsWith('blob:')) {
      const refusal = await client.checkFile(id, recId).catch((e) => e);
      if (refusal) text = recordingErrorText('play', refusal, id);
    }
    if (playing?.id === recId && id === list.streamId) list.say('error', text);
  });

  async function download(recId) {
    const id = list.streamId;
    const s = find(recId);
    let file = null;
    try {
      file = await client.fileUrl(id, recId, { download: true });
      const a = document.createElement('a');
      a.href = file.url;
      a.download = recordingFileName(s ?? { id: recId, stream_id: id });
      a.hidden = true;
      el.append(a);
      a.click();
      a.remove();
      list.say('ok', `Downloading ${a.download}.`);
    } catch (e) {
      list.say('error', recordingErrorText('download', e, id));
    } finally {
      // The browser may still be reading an object URL after click() returns: let it go later.
      if (file?.objectUrl) setTimeout(file.revoke, 60_000);
    }
  }

  startButton.addEventListener('click', start);
  q('#rec-player-close').addEventListener('click', () => {
    playTicket++; // a file still being fetched is not opened after all
    closePlayer();
  });

  list.start();
}
