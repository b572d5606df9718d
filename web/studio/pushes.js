// Pushes panel: send the current stream's output on to another WHIP server, and watch each push
// (state, attempts, last error, next retry, frames sent and dropped); stop one.
// Server side: docs/API.md "Pushes" and docs/SECURITY.md "Pushes"; the REST calls: lib/pushes.js.
//
// DOM (inside the panel's element): #push-form with #push-url, #push-token, #push-start;
// #push-disabled (shown once the server said pushes are off), #push-message, #push-list (tbody
// rows tr[data-push-id][data-state] with .push-url .push-state .push-attempts .push-frames
// .push-error and the button .push-stop), #push-empty.

import { PushesClient, pushEnded, pushErrorText, pushesDisabled } from '../lib/pushes.js';
import { formatBytes } from '../lib/units.js';
import { PolledList } from './polled-list.js';

const TEMPLATE = `
  <h2>Pushes <span class="push-stream"></span></h2>
  <form id="push-form" class="push-form" autocomplete="off">
    <label>WHIP URL
      <input id="push-url" type="url" required maxlength="2048" spellcheck="false"
             placeholder="https://ingest.example.com/whip/…">
    </label>
    <label>Token
      <input id="push-token" type="password" autocomplete="off" maxlength="4096" spellcheck="false" placeholder="optional">
    </label>
    <button id="push-start" type="submit">Start push</button>
  </form>
  <p id="push-disabled" class="push-disabled" role="alert" hidden></p>
  <p id="push-message" class="push-message" role="status" aria-live="polite"></p>
  <div class="rec-scroll">
    <table id="push-list" class="rec-table">
      <thead><tr><th>To</th><th>State</th><th>Attempts</th><th>Frames sent / dropped</th><th></th></tr></thead>
      <tbody></tbody>
    </table>
  </div>
  <p id="push-empty" class="rec-empty">No pushes yet.</p>`;

const TONES = { connecting: 'busy', live: 'ok', retrying: 'busy', stopped: '', failed: 'bad' };

export function mount(el, ctx) {
  el.classList.add('push-panel');
  el.innerHTML = TEMPLATE;
  const q = (sel) => el.querySelector(sel);
  const form = q('#push-form');
  const urlInput = q('#push-url');
  const tokenInput = q('#push-token');
  const startButton = q('#push-start');
  const disabledNote = q('#push-disabled');
  const message = q('#push-message');
  const tbody = q('#push-list tbody');
  const empty = q('#push-empty');
  const client = new PushesClient(ctx.api);
  const busy = new Set(); // ids being stopped
  const list = new PolledList(el, ctx, {
    name: 'Pushes',
    list: (id) => client.list(id),
    errorText: pushErrorText,
    running: (s) => !pushEnded(s),
    elements: { message, streamLabel: q('.push-stream'), empty, tbody },
    emptyText: (id) => `No pushes of "${id}" yet.`,
    key: 'pushId',
    makeRow,
    fillRow,
  });

  function makeRow(id) {
    const row = document.createElement('tr');
    row.dataset.pushId = id;
    row.innerHTML = `
      <td class="push-url"></td>
      <td><span class="push-state badge"></span><div class="push-error"></div></td>
      <td class="push-attempts"></td>
      <td class="push-frames"></td>
      <td class="rec-actions"><button class="push-stop" type="button">Stop</button></td>`;
    row.querySelector('.push-stop').addEventListener('click', () => stop(id));
    return row;
  }

  function fillRow(row, s) {
    row.dataset.state = s.state;
    const url = row.querySelector('.push-url');
    url.textContent = s.url;
    url.title = s.url;
    const state = row.querySelector('.push-state');
    state.textContent = s.state === 'retrying' && s.retry_in != null
      ? `retrying in ${Math.ceil(s.retry_in)} s`
      : s.state;
    state.dataset.tone = TONES[s.state] ?? '';
    const err = row.querySelector('.push-error');
    err.textContent = s.last_error ?? '';
    err.hidden = !s.last_error;
    row.querySelector('.push-attempts').textContent = String(s.attempts ?? 0);
    row.querySelector('.push-frames').textContent =
      `${s.frames_sent ?? 0} / ${s.frames_dropped ?? 0} · ${formatBytes(s.bytes_sent)}`;
    const stopButton = row.querySelector('.push-stop');
    stopButton.hidden = pushEnded(s);
    stopButton.disabled = busy.has(s.id);
    stopButton.textContent = busy.has(s.id) ? 'Stopping…' : 'Stop';
  }

  async function start() {
    const id = list.streamId;
    const url = urlInput.value.trim();
    const token = tokenInput.value.trim();
    startButton.disabled = true;
    list.say('info', `Starting a push to ${url}…`);
    try {
      const s = await client.start(id, { url, token });
      disabledNote.hidden = true;
      if (id !== list.streamId) return;
      list.items = [...list.items.filter((p) => p.id !== s.id), s];
      list.render();
      list.say('ok', `Pushing "${id}" to ${s.url}.`);
    } catch (e) {
      const text = pushErrorText('start', e, id);
      if (pushesDisabled(e)) {
        // Not a mistake of the user's: say it once, where it stays, instead of as an error.
        disabledNote.textContent = text;
        disabledNote.hidden = false;
        list.say('info', '');
      } else {
        list.say('error', text);
      }
    } finally {
      startButton.disabled = false;
      list.poller.trigger();
    }
  }

  async function stop(pushId) {
    const id = list.streamId;
    if (busy.has(pushId)) return;
    busy.add(pushId);
    list.render();
    list.say('info', 'Stopping: the server ends the remote session…');
    try {
      // Answers once the remote WHIP session has been DELETEd (up to ~12 s).
      const s = await client.stop(id, pushId);
      if (id !== list.streamId) return;
      list.items = list.items.map((p) => (p.id === s.id ? s : p));
      list.say('ok', `Push to ${s.url} stopped.`);
    } catch (e) {
      list.say('error', pushErrorText('stop', e, id));
    } finally {
      busy.delete(pushId);
      if (id === list.streamId) list.render();
      list.poller.trigger();
    }
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    start();
  });

  list.start();
}
