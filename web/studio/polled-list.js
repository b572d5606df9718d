// What the recordings and pushes panels share: a table of the server's objects for the current
// stream (one row per id, newest first), refreshed by a Poller (lib/poller.js) while the panel is
// on screen, and at once when the stream goes live or idle or the token changes. A helper for
// panels, not a panel itself (no mount).

import { Poller } from '../lib/poller.js';

// While something on the list runs (a recording's duration ticks, a push connects or counts down
// to a retry) it is read every second; otherwise every 5 s is enough to see what was started
// elsewhere (another page, ?record=1, --record).
const FAST_MS = 1000;
const SLOW_MS = 5000;

// The list a panel shows, of the stream named in the set-up: `streamId`, `items` (the last list,
// oldest first), say() into the panel's message line, render() (the stream's name, the empty
// line, the rows), and `poller`. A change of stream empties it and asks again.
//   name: the panel's name in the page's error toasts ('Recordings').
//   list(streamId): resolves to the objects, oldest first.
//   errorText(op, error, streamId): what went wrong, in words (op: 'list', …).
//   running(item): whether it changes by the second.
//   elements: { message, streamLabel, empty, tbody }; emptyText(streamId): the empty line.
//   key, makeRow, fillRow: as syncRows takes them. onStream(): more to reset on a change of stream.
export class PolledList {
  constructor(el, ctx, opts) {
    this.ctx = ctx;
    this.opts = opts;
    this.streamId = ctx.streamId();
    this.items = [];
    this.poller = new Poller(() => this.refresh(), { interval: SLOW_MS });
    ctx.on('stream', ({ streamId }) => {
      this.streamId = streamId;
      this.items = [];
      opts.onStream?.();
      this.say('info', '');
      this.render();
      this.poller.trigger();
    });
    pollWhileShown(el, ctx, this.poller);
  }

  say(level, text) {
    const { message } = this.opts.elements;
    message.textContent = text;
    message.dataset.level = level;
    if (level === 'error') this.ctx.say('error', `${this.opts.name}: ${text}`);
  }

  async refresh() {
    const id = this.streamId;
    try {
      const list = await this.opts.list(id);
      if (id !== this.streamId) return; // the stream changed while asking
      this.items = list;
      this.render();
    } catch (e) {
      if (id === this.streamId) this.say('error', this.opts.errorText('list', e, id));
    }
  }

  render() {
    const { opts, streamId, items } = this;
    opts.elements.streamLabel.textContent = `· ${streamId}`;
    opts.elements.empty.textContent = opts.emptyText(streamId);
    opts.elements.empty.hidden = items.length > 0;
    syncRows(opts.elements.tbody, items, opts);
    this.poller.setInterval(items.some(opts.running) ? FAST_MS : SLOW_MS);
  }

  // First render, and the first list.
  start() {
    this.render();
    this.poller.trigger();
  }
}

// Keeps tbody's rows in step with `items` (oldest first, as the server lists them): newest first
// on screen, one row per item found by its dataset[key] (made by makeRow(id) the first time), each
// filled by fillRow(row, item); rows of items no longer listed are removed.
export function syncRows(tbody, items, { key, makeRow, fillRow }) {
  const attr = `data-${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  const seen = new Set();
  for (const item of [...items].reverse()) {
    seen.add(item.id);
    const row = tbody.querySelector(`tr[${attr}="${CSS.escape(item.id)}"]`) ?? makeRow(item.id);
    tbody.append(row); // keeps the order (append moves an existing row)
    fillRow(row, item);
  }
  for (const row of [...tbody.rows]) {
    if (!seen.has(row.dataset[key])) row.remove();
  }
}

// Runs the poller while `el` is on screen and the tab is visible, and once more whenever the
// stream goes live or idle (a publisher coming or going changes what the server has to say) or the
// Token field changes (a list refused with 401 is asked again at once).
export function pollWhileShown(el, ctx, poller) {
  for (const event of ['live', 'idle', 'token']) ctx.on(event, () => poller.trigger());
  watchVisibility(el, (visible) => poller.setActive(visible));
}

// Calls onChange(true) while the element is on screen and the tab is visible, onChange(false)
// otherwise.
function watchVisibility(el, onChange) {
  let inView = false;
  const update = () => onChange(inView && !document.hidden);
  new IntersectionObserver((entries) => {
    inView = entries[entries.length - 1].isIntersecting;
    update();
  }).observe(el);
  document.addEventListener('visibilitychange', update);
}
