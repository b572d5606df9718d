// The text-output panel: every text the workflow's SaveTextTensor nodes send on the data channel
// (ctx 'text' events), newest last, with Copy all and Clear, as the original UI's
// text-output-viewer. It opens by itself on the first text. Bounded: the last MAX_ROWS rows;
// a text equal to the one before adds to that row's count instead of a new row (a workflow with
// a constant text sends it on every frame).
// DOM ids: text-output (details), text-count, text-list (ol, one li per row, data-count),
// text-copy, text-clear, text-note.

export const MAX_ROWS = 500;
// The original server sends this during warm-up; its UI hides it (text-output-viewer.tsx).
const WARMUP_SENTINEL = '__WARMUP_SENTINEL__';

const TEMPLATE = `
  <details id="text-output">
    <summary><h2 id="text-title">Text outputs <span id="text-count" class="badge">0</span></h2></summary>
    <p class="small">Texts from the workflow's SaveTextTensor nodes, newest last (the last ${MAX_ROWS}).</p>
    <ol id="text-list" class="text-list" aria-live="polite"></ol>
    <div class="actions">
      <button id="text-copy" type="button" disabled>Copy all</button>
      <button id="text-clear" type="button" disabled>Clear</button>
      <span id="text-note" class="small" role="status"></span>
    </div>
  </details>`;

export function mount(el, ctx) {
  el.setAttribute('aria-labelledby', 'text-title');
  el.innerHTML = TEMPLATE;
  const $ = (id) => el.querySelector(`#${id}`);
  const box = $('text-output');
  const list = $('text-list');
  const count = $('text-count');
  let total = 0;
  let opened = false;

  const rows = () => [...list.children];

  function refresh() {
    count.textContent = String(total);
    $('text-copy').disabled = $('text-clear').disabled = !list.childElementCount;
  }

  function add(text, at) {
    const last = list.lastElementChild;
    const stickToEnd = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
    if (last && last.dataset.text === text) {
      const n = Number(last.dataset.count) + 1;
      last.dataset.count = String(n);
      last.querySelector('.text-times').textContent = `×${n}`;
    } else {
      const li = document.createElement('li');
      li.dataset.text = text;
      li.dataset.count = '1';
      const time = document.createElement('time');
      time.textContent = new Date(at ?? Date.now()).toISOString().slice(11, 23);
      const body = document.createElement('span');
      body.className = 'text-body';
      body.textContent = text;
      const times = document.createElement('span');
      times.className = 'text-times';
      li.append(time, body, times);
      list.append(li);
      while (list.childElementCount > MAX_ROWS) list.firstElementChild.remove();
    }
    total++;
    if (stickToEnd) list.scrollTop = list.scrollHeight;
    if (!opened) {
      opened = true;
      box.open = true;
    }
    refresh();
  }

  ctx.on('text', ({ text, at } = {}) => {
    if (typeof text !== 'string' || !text || text === WARMUP_SENTINEL) return;
    add(text, at);
  });

  $('text-copy').addEventListener('click', async () => {
    const all = rows().map((li) => li.dataset.text).join('\n');
    const how = await copyText(all);
    $('text-note').textContent = how
      ? `Copied ${list.childElementCount} text${list.childElementCount === 1 ? '' : 's'}.`
      : 'The browser refused the clipboard: the texts are selected, press Ctrl+C.';
    if (!how) selectTexts(list);
  });
  $('text-clear').addEventListener('click', () => {
    list.replaceChildren();
    total = 0;
    $('text-note').textContent = '';
    refresh();
  });
  refresh();
}

// navigator.clipboard where the page may use it (a secure context, focus), else the old
// execCommand('copy') on a hidden textarea. Resolves to true when one of them copied.
async function copyText(text) {
  try {
    if (navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch { /* fall back below */ }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}

function selectTexts(node) {
  const range = document.createRange();
  range.selectNodeContents(node);
  const sel = getSelection();
  sel.removeAllRanges();
  sel.addRange(range);
}
