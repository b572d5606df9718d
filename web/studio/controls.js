// Live node controls, as the original UI's control panels: "Add panel" adds a panel (several at
// once, each removable); a panel picks a workflow of the list, a node and one of its inputs, and
// shows a widget by the input's type (number with its range, checkbox, select of the options,
// text). A change is checked in the page (range, whole number), debounced (100 ms numbers, 300 ms
// text) and sent as `update_prompts` with the FULL prompts list, deep-cloned with that one input
// changed; the panel shows the server's answer. Not live, the change waits for the next publish.
//
// Where nodes come from: `get_nodes` on ctx.control while this page publishes, else the nodes
// the workflow panel got from POST /workflows/validate (ctx.workflow.nodes). The prompts edited
// are ctx.workflow.prompts; a change the server took becomes ctx.workflow (kind 'prompts', so a
// later publish keeps it).
// DOM: #controls-add, #controls-list, one .control-panel (fieldset, data-panel=N) per panel with
// .cp-prompt, .cp-node, .cp-input (selects), .cp-widget (the input element(s)), .cp-status
// (data-state idle|pending|ok|error), .cp-remove.

import {
  checkValue, describeRefusal, inputValue, widgetModel, withInput,
} from '../lib/workflow-doc.js';

const DEBOUNCE_MS = { int: 100, float: 100, boolean: 100, combo: 100, text: 300 };
const MAX_PANELS = 12; // a screenful; each one is only a view on the same prompts

const TEMPLATE = `
  <h2 id="controls-title">Node controls</h2>
  <p id="controls-hint" class="small"></p>
  <div id="controls-list" class="control-panels"></div>
  <button id="controls-add" type="button">Add panel</button>`;

export function mount(el, ctx) {
  el.setAttribute('aria-labelledby', 'controls-title');
  el.innerHTML = TEMPLATE;
  const list = el.querySelector('#controls-list');
  const hint = el.querySelector('#controls-hint');
  const add = el.querySelector('#controls-add');
  let model = []; // widgetModel(nodes) of the running (or chosen) workflow
  let live = false;
  let nextId = 1;
  let asking = 0; // the latest get_nodes; an older answer is dropped
  let own = false; // this panel is setting ctx.workflow (an edit, not another workflow)
  const panels = new Set();
  // Sends go one at a time, each built on the prompts the one before left: two panels changed
  // together both land.
  let sending = Promise.resolve();

  function setHint() {
    const w = ctx.workflow;
    if (!model.length || !model.some((g) => g.nodes.some((n) => n.inputs.length))) {
      hint.textContent = live
        ? 'The running workflow has no inputs to tune.'
        : 'Choose a workflow (its nodes appear once the server has checked it), or publish.';
    } else if (!w.prompts) {
      hint.textContent = 'The page does not have this workflow\'s JSON: inputs are shown but cannot be changed.';
    } else {
      hint.textContent = live ? 'Changes apply to the live stream.' : 'Changes apply when you publish.';
    }
    add.disabled = panels.size >= MAX_PANELS;
  }

  async function refreshModel() {
    const mine = ++asking;
    let nodes = ctx.workflow.nodes ?? null;
    if (live && ctx.control) {
      try {
        const reply = await ctx.control.request({ type: 'get_nodes' });
        if (reply?.type === 'nodes_info') nodes = reply.nodes;
      } catch (e) {
        console.warn('[comfystream] get_nodes failed:', e);
      }
    }
    if (mine !== asking) return;
    model = widgetModel(nodes);
    for (const p of panels) p.render();
    setHint();
  }

  // The prompts list a send is built on: the last the server took, or the chosen workflow's.
  const basePrompts = () => ctx.workflow.prompts ?? null;

  function send(index, nodeId, name, value) {
    const result = sending.then(async () => {
      const base = basePrompts();
      if (!base) throw new Error('the page does not have this workflow\'s JSON');
      const prompts = withInput(base, index, nodeId, name, value);
      if (live && ctx.control) {
        // ctx.control (lib/control.js) rejects a `success: false` reply with the reply attached.
        let reply;
        try {
          reply = await ctx.control.request({ type: 'update_prompts', prompts });
        } catch (e) {
          const err = new Error(e.reply ? refusalText(e.reply) : e.message);
          err.refused = !!e.reply;
          throw err;
        }
        if (reply?.success === false) {
          const err = new Error(refusalText(reply));
          err.refused = true;
          throw err;
        }
      }
      const w = ctx.workflow;
      own = true;
      try {
        ctx.setWorkflow({
          ...w, kind: 'prompts', prompts, label: w.label?.endsWith(' (edited)') ? w.label : `${w.label} (edited)`,
        });
      } finally {
        own = false;
      }
      return live && ctx.control ? 'live' : 'next';
    });
    sending = result.catch(() => {});
    return result;
  }

  function addPanel() {
    if (panels.size >= MAX_PANELS) return;
    const p = makePanel(nextId++, {
      model: () => model, prompts: basePrompts, sources: () => ctx.workflow.sources ?? null, send, remove,
    });
    panels.add(p);
    list.append(p.el);
    p.render();
    setHint();
  }

  function remove(p) {
    p.dispose();
    panels.delete(p);
    p.el.remove();
    setHint();
  }

  add.addEventListener('click', addPanel);
  ctx.on('live', () => {
    live = true;
    refreshModel();
  });
  // The control channel opens a moment before or after the publisher's 'live': ask then too.
  ctx.on('control', () => {
    live = true;
    refreshModel();
  });
  ctx.on('idle', () => {
    live = false;
    refreshModel();
  });
  ctx.on('workflow', () => {
    // Our own edit changes only values (the panels re-read them); another workflow, the nodes.
    if (own) for (const p of panels) p.render();
    else refreshModel();
  });
  refreshModel();
}

// An update_prompts refusal in words, one sentence per node and input (lib/workflow-doc.js).
function refusalText(reply) {
  const { summary, items } = describeRefusal(reply);
  return items.length ? items.map((i) => i.text).join('; ') : summary;
}

// One panel. `deps`: model() → the widget model, prompts() → the prompts edited, sources() → the
// file each prompt came from (or null), send(index, nodeId, name, value) → Promise<'live'|'next'>,
// remove(panel).
function makePanel(id, deps) {
  const el = document.createElement('fieldset');
  el.className = 'control-panel';
  el.dataset.panel = String(id);
  const legend = document.createElement('legend');
  legend.textContent = `Panel ${id} `;
  const removeBtn = button('×', 'cp-remove', `Remove panel ${id}`);
  legend.append(removeBtn);
  const promptSel = labelled(el, 'Workflow', 'cp-prompt');
  const nodeSel = labelled(el, 'Node', 'cp-node');
  const inputSel = labelled(el, 'Input', 'cp-input');
  const widgetBox = document.createElement('div');
  widgetBox.className = 'cp-widget';
  const status = document.createElement('p');
  status.className = 'cp-status small';
  status.setAttribute('role', 'status');
  status.dataset.state = 'idle';
  el.prepend(legend);
  el.append(widgetBox, status);

  let timer = null;
  let shown = null; // {index, nodeId, name, kind} of the widget on screen
  let editing = false; // a change waits for its debounce or its answer: keep the user's value

  const setStatus = (state, text) => {
    status.dataset.state = state;
    status.textContent = text;
  };

  function fill(select, items, keep) {
    const values = items.map((i) => i.value);
    const same = select.options.length === items.length && [...select.options].every((o, k) => o.value === values[k]
      && o.textContent === items[k].label);
    if (!same) select.replaceChildren(...items.map((i) => new Option(i.label, i.value)));
    select.value = values.includes(keep) ? keep : (values[0] ?? '');
    select.disabled = !items.length;
  }

  function render() {
    const model = deps.model();
    const sources = deps.sources();
    fill(promptSel, model.map((g) => ({
      value: String(g.index), label: `${g.index + 1}${sources?.[g.index] ? ` · ${sources[g.index]}` : ''}`,
    })), promptSel.value);
    const group = model.find((g) => String(g.index) === promptSel.value);
    const nodes = (group?.nodes ?? []).filter((n) => n.inputs.length);
    fill(nodeSel, nodes.map((n) => ({ value: n.id, label: `${n.id} · ${n.classType}` })), nodeSel.value);
    const node = nodes.find((n) => n.id === nodeSel.value);
    fill(inputSel, (node?.inputs ?? []).map((w) => ({ value: w.name, label: `${w.name} (${w.kind})` })), inputSel.value);
    const widget = node?.inputs.find((w) => w.name === inputSel.value) ?? null;
    showWidget(group?.index, node?.id, widget);
  }

  function showWidget(index, nodeId, widget) {
    if (!widget) {
      widgetBox.replaceChildren();
      shown = null;
      if (status.dataset.state === 'idle') setStatus('idle', deps.model().length ? 'No input to tune here.' : 'No nodes yet.');
      return;
    }
    const current = deps.prompts() ? inputValue(deps.prompts(), index, nodeId, widget.name) : undefined;
    const value = current !== undefined && !Array.isArray(current) ? current : widget.value;
    const same = shown && shown.index === index && shown.nodeId === nodeId && shown.name === widget.name;
    if (same) {
      if (!editing) setWidgetValue(value);
      return;
    }
    clearTimeout(timer);
    editing = false;
    shown = { index, nodeId, name: widget.name, kind: widget.kind, widget };
    widgetBox.replaceChildren(...buildWidget(widget, value, onEdit));
    setStatus('idle', rangeText(widget));
  }

  function setWidgetValue(value) {
    for (const input of widgetBox.querySelectorAll('input, select, textarea')) {
      if (input.type === 'checkbox') input.checked = value === true;
      else if (document.activeElement !== input) input.value = String(value);
    }
  }

  // Every widget calls this with the new value (already parsed to the input's type).
  function onEdit(value, source) {
    if (!shown) return;
    const { index, nodeId, name, widget } = shown;
    // Keep a number's two inputs (box and slider) together.
    for (const input of widgetBox.querySelectorAll('input')) {
      if (input !== source && input.type !== 'checkbox' && typeof value === 'number') input.value = String(value);
    }
    const why = checkValue(widget, value);
    clearTimeout(timer);
    if (why) {
      editing = false;
      source?.setAttribute('aria-invalid', 'true');
      setStatus('error', `Not sent: ${why}.`);
      return;
    }
    source?.removeAttribute('aria-invalid');
    editing = true;
    setStatus('pending', 'Sending…');
    timer = setTimeout(async () => {
      try {
        const where = await deps.send(index, nodeId, name, value);
        setStatus('ok', where === 'live'
          ? `${name} = ${fmt(value)}: applied live.`
          : `${name} = ${fmt(value)}: used when you publish.`);
      } catch (e) {
        setStatus('error', `${e.refused ? 'Refused' : 'Not sent'}: ${e.message}`);
      } finally {
        editing = false;
      }
    }, DEBOUNCE_MS[widget.kind] ?? 100);
  }

  for (const sel of [promptSel, nodeSel, inputSel]) sel.addEventListener('change', render);
  removeBtn.addEventListener('click', () => deps.remove(api));

  const api = {
    el,
    render,
    dispose() { clearTimeout(timer); },
  };
  return api;
}

const fmt = (v) => (typeof v === 'string' ? JSON.stringify(v) : String(v));

function rangeText(w) {
  if (w.kind !== 'int' && w.kind !== 'float') return '';
  const lo = w.min ?? '−∞';
  const hi = w.max ?? '∞';
  return `${w.kind === 'int' ? 'Whole number' : 'Number'} from ${lo} to ${hi}.`;
}

function button(text, className, label) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = className;
  b.textContent = text;
  b.setAttribute('aria-label', label);
  b.title = label;
  return b;
}

function labelled(parent, text, className) {
  const label = document.createElement('label');
  label.className = 'cp-field';
  label.append(text);
  const select = document.createElement('select');
  select.className = className;
  label.append(select);
  parent.append(label);
  return select;
}

// The widget's elements for `w` at `value`; `onEdit(value, element)` on every user change.
function buildWidget(w, value, onEdit) {
  const label = document.createElement('label');
  label.className = 'cp-value';
  label.append(`${w.name} `);
  if (w.kind === 'boolean') {
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.className = 'cp-bool';
    box.checked = value === true;
    box.addEventListener('change', () => onEdit(box.checked, box));
    label.append(box);
    return [label];
  }
  if (w.kind === 'combo') {
    const sel = document.createElement('select');
    sel.className = 'cp-combo';
    sel.append(...w.options.map((o) => new Option(o, o)));
    sel.value = String(value);
    sel.addEventListener('change', () => onEdit(sel.value, sel));
    label.append(sel);
    return [label];
  }
  if (w.kind === 'text') {
    // A textarea: a STRING may hold line breaks (an <input> would drop them).
    const text = document.createElement('textarea');
    text.rows = 2;
    text.className = 'cp-text';
    text.value = String(value ?? '');
    text.addEventListener('input', () => onEdit(text.value, text));
    label.append(text);
    return [label];
  }
  // int / float: a number box with the range, and a slider when the range is finite.
  const num = document.createElement('input');
  num.type = 'number';
  num.className = 'cp-number';
  num.step = String(w.step);
  if (w.min !== null) num.min = String(w.min);
  if (w.max !== null) num.max = String(w.max);
  num.value = String(value);
  num.addEventListener('input', () => {
    if (num.value.trim() === '') return; // half-typed: wait for a number
    onEdit(Number(num.value), num);
  });
  label.append(num);
  const out = [label];
  if (w.min !== null && w.max !== null && (w.max - w.min) / w.step <= 100_000) {
    const range = document.createElement('input');
    range.type = 'range';
    range.className = 'cp-range';
    range.min = String(w.min);
    range.max = String(w.max);
    range.step = String(w.step);
    range.value = String(value);
    range.setAttribute('aria-label', `${w.name} slider`);
    range.addEventListener('input', () => onEdit(Number(range.value), range));
    out.push(range);
  }
  return out;
}
