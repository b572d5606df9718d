// What the recordings and pushes panels share: a table of the server's objects for the current
// stream (one row per id, newest first), refreshed by a Poller (lib/poller.js) while the panel is
// on screen, and at once when the stream goes live or idle or the token changes. A helper for
// panels, not a panel itself (no mount).

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
