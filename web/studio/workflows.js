// The workflow panel: pick a named workflow (GET /workflows) or upload ComfyUI API-format .json
// files (several files = a list of prompts, as the original UI), check them with the server
// (POST /workflows/validate) before going live, show a refusal per node and input in words, and
// while this page publishes, switch the running workflow without reconnecting (POST /prompt).
//
// What it shares (studio/context.js): ctx.setWorkflow(w) with
//   {kind: 'name', name, label, prompts?, nodes?}      a server-side workflow (WHIP ?workflow=NAME)
//   {kind: 'prompts', prompts, label, nodes?, sources?, invalid?}   uploaded (or edited) prompts
// where prompts is the list of API-format prompts when the page has it (the controls panel edits
// it), nodes is the validation's nodes_info shape, and invalid a sentence when the server refused
// them. Publishing: the shell calls applyBeforePublish(ctx) (below) before its WHIP POST.
// DOM ids: workflow (select), workflow-files (file input), workflow-refresh, workflow-current,
// workflow-status (data-state idle|checking|valid|invalid|applied|refused), workflow-errors.

import { ApiError } from '../lib/api.js';
import {
  BUILTIN_WORKFLOWS, WorkflowFileError, describeRefusal, promptsOf, readWorkflowFiles,
} from '../lib/workflow-doc.js';

const UPLOADED = ''; // the select's value while uploaded prompts are chosen
const panels = new WeakMap(); // ctx → this panel's functions, for applyBeforePublish

const TEMPLATE = `
  <h2 id="workflow-title">Workflow</h2>
  <div class="wf-row">
    <label class="wf-field">Named workflow
      <select id="workflow" name="workflow"></select>
    </label>
    <button id="workflow-refresh" type="button" title="Reload the server's list of workflows" aria-label="Reload the list">&#8635;</button>
  </div>
  <label class="wf-field">Or upload ComfyUI API-format .json (several files run as a list)
    <input id="workflow-files" type="file" accept=".json,application/json" multiple>
  </label>
  <p id="workflow-current" class="small"></p>
  <p id="workflow-status" class="wf-status" role="status" data-state="idle"></p>
  <ul id="workflow-errors" class="wf-errors" hidden></ul>
  <p id="workflow-note" class="small" hidden></p>`;

export function mount(el, ctx) {
  el.setAttribute('aria-labelledby', 'workflow-title');
  el.innerHTML = TEMPLATE;
  const $ = (id) => el.querySelector(`#${id}`);
  const select = $('workflow');
  const files = $('workflow-files');
  const status = $('workflow-status');
  const errors = $('workflow-errors');
  let liveNow = null; // {streamId} while this page publishes
  let own = false; // this panel is setting ctx.workflow (its listener then only follows)
  let seq = 0; // the latest user choice; an older one finishing late is ignored
  let builtinOnly = false; // the server has no GET /workflows: the page's own copies are used
  let needsToken = false; // the list was refused for want of a token: try again on focus

  function setOwn(w) {
    own = true;
    try {
      ctx.setWorkflow(w);
    } finally {
      own = false;
    }
  }

  function setStatus(state, text) {
    status.dataset.state = state;
    status.textContent = text;
  }

  function clearErrors() {
    errors.replaceChildren();
    errors.hidden = true;
  }

  function showErrors(lines) {
    errors.replaceChildren(...lines.map((t) => {
      const li = document.createElement('li');
      li.textContent = t;
      return li;
    }));
    errors.hidden = !lines.length;
  }

  // A refusal (ApiError body or update/prompt reply) → the list; returns a one-line sentence.
  function showRefusal(body, prompts, sources) {
    const { summary, items } = describeRefusal(body, prompts, sources);
    showErrors(items.length ? items.map((i) => i.text) : [summary]);
    return items.length ? items.map((i) => i.text).join('; ') : summary;
  }

  function describe(w) {
    const n = w.prompts?.length;
    const what = w.kind === 'name' ? `named workflow "${w.name}"` : `${w.sources ? 'uploaded ' : ''}workflow ${w.label}`;
    return `${what}${n > 1 ? ` (${n} workflows)` : ''}${w.invalid ? ' — refused by the server' : ''}`;
  }

  // The select and the "current" line follow ctx.workflow, whoever set it (the shell's
  // ?workflow= and publish({workflow}) hook, the controls panel's edits, this panel).
  function sync(w) {
    if (w.kind === 'name') {
      if (![...select.options].some((o) => o.value === w.name)) select.add(new Option(w.name, w.name));
      select.value = w.name;
    } else {
      let opt = [...select.options].find((o) => o.value === UPLOADED);
      if (!opt) select.prepend(opt = new Option('', UPLOADED));
      // (Prompts without files: a named workflow edited in the controls panel.)
      opt.textContent = `${w.sources || w.invalid ? 'uploaded' : 'edited'}: ${w.label}`;
      select.value = UPLOADED;
    }
    for (const o of [...select.options]) if (o.value === UPLOADED && w.kind === 'name') o.remove();
    $('workflow-current').textContent = `Publishing uses the ${describe(w)}.`;
  }

  // A named workflow's prompts: GET /workflows/{name}, or the page's copy of a built-in.
  async function namedPrompts(name) {
    if (!builtinOnly) {
      try {
        return promptsOf(await ctx.api.get(`/workflows/${encodeURIComponent(name)}`), name);
      } catch (e) {
        if (!(e instanceof ApiError && (e.status === 404 || e.status === 405))) throw e;
      }
    }
    return BUILTIN_WORKFLOWS[name] ? structuredClone(BUILTIN_WORKFLOWS[name]) : null;
  }

  // → {ok: true, nodes, count} | {ok: false, body} | {ok: null} (no validate route: the server
  // still checks at POST /prompt or WHIP).
  async function validate(prompts) {
    try {
      const r = await ctx.api.post(`/workflows/validate?streamId=${encodeURIComponent(ctx.streamId())}`, { prompts });
      return { ok: true, nodes: r?.nodes ?? null, count: r?.prompts ?? prompts.length };
    } catch (e) {
      if (e instanceof ApiError && e.status === 400 && e.body) return { ok: false, body: e.body };
      if (e instanceof ApiError && (e.status === 404 || e.status === 405)) return { ok: null };
      throw e;
    }
  }

  const nodeCount = (nodes) => Object.values(nodes ?? {}).reduce((n, g) => n + Object.keys(g ?? {}).length, 0);

  // The user chose a workflow: check it, then use it for the next publish, or send it now when live.
  async function choose(choice) {
    const mine = ++seq;
    const stale = () => mine !== seq;
    // Not live, the choice holds at once (a Publish pressed while the server checks it uses it;
    // the server checks it again then). Live, it holds once the server runs it.
    const live = liveNow;
    if (!live) setOwn(choice.kind === 'name' ? { kind: 'name', name: choice.name, label: choice.label } : choice);
    const chosen = ctx.workflow;
    clearErrors();
    setStatus('checking', `Checking ${choice.label}…`);
    try {
      let prompts = choice.prompts ?? null;
      if (choice.kind === 'name') prompts = await namedPrompts(choice.name);
      if (stale()) return;
      if (!prompts) {
        // A server-side workflow whose JSON the page cannot get: WHIP still takes its name.
        if (live) {
          setStatus('refused', `Cannot switch to "${choice.name}" while live: the server does not give its JSON. Stop and publish again.`);
          sync(ctx.workflow);
          return;
        }
        setStatus('valid', `"${choice.name}" is used when you publish.`);
        return;
      }
      const verdict = await validate(prompts);
      if (stale()) return;
      if (verdict.ok === false) {
        const why = showRefusal(verdict.body, prompts, choice.sources);
        if (live) {
          setStatus('refused', `The server refused ${choice.label}; the running workflow continues.`);
          sync(ctx.workflow);
        } else {
          // Chosen all the same, so that Publish says why it cannot start rather than quietly
          // publishing the previous workflow.
          if (ctx.workflow === chosen) setOwn({ ...choice, prompts, invalid: why });
          setStatus('invalid', `The server refused ${choice.label}: fix the file and upload it again.`);
        }
        return;
      }
      const w = { ...choice, prompts, nodes: verdict.nodes ?? null };
      delete w.invalid;
      const checked = verdict.ok ? `valid: ${verdict.count} workflow${verdict.count === 1 ? '' : 's'}, ${nodeCount(verdict.nodes)} nodes` : 'not checked (the server has no /workflows/validate)';
      if (!live) {
        if (ctx.workflow === chosen) setOwn(w);
        setStatus('valid', `${choice.label}: ${checked}; used when you publish.`);
        return;
      }
      setStatus('checking', `Switching the live stream to ${choice.label}…`);
      const streamId = live.streamId;
      try {
        await ctx.api.post(`/prompt?streamId=${encodeURIComponent(streamId)}`, { prompts });
      } catch (e) {
        if (stale()) return;
        if (e instanceof ApiError && e.body?.node_errors) showRefusal(e.body, prompts, choice.sources);
        setStatus('refused', `${choice.label} not switched in: ${e instanceof ApiError ? e.detail || e.message : e.message}; the running workflow continues.`);
        sync(ctx.workflow);
        return;
      }
      if (stale()) return;
      setOwn(w);
      setStatus('applied', `Live: ${choice.label} now runs on "${streamId}".`);
      ctx.say('ok', `Workflow switched to ${choice.label}`);
    } catch (e) {
      if (stale()) return;
      // The server could not be asked (network, token).
      showErrors([`Could not check ${choice.label}: ${e.message}`]);
      if (live) {
        setStatus('refused', `${choice.label} not used; the running workflow continues.`);
        sync(ctx.workflow);
      } else {
        setStatus('checking', `${choice.label} is chosen but not checked: the server checks it when you publish.`);
      }
    }
  }

  // A file the page cannot read as API-format prompts (not JSON, a UI-format export, too big).
  function fileRefused(label, e) {
    ++seq;
    const live = liveNow;
    const text = e instanceof WorkflowFileError ? e.message : `${label} could not be read: ${e.message}`;
    showErrors([text]);
    if (live) {
      setStatus('refused', `${label} not used; the running workflow continues.`);
      sync(ctx.workflow);
    } else {
      // Chosen all the same, as a refused workflow: Publish then says why it cannot start.
      // (An empty list: a publish that sends it anyway is refused by the server, not run.)
      setOwn({ kind: 'prompts', prompts: [], label, invalid: text });
      setStatus('invalid', `${label} cannot be used.`);
    }
  }

  async function loadList() {
    const note = $('workflow-note');
    let list;
    try {
      const r = await ctx.api.get('/workflows');
      list = (Array.isArray(r?.workflows) ? r.workflows : []).filter((w) => typeof w?.name === 'string');
      builtinOnly = false;
      needsToken = false;
      note.hidden = !r?.truncated;
      note.textContent = r?.truncated ? 'The server lists only part of its workflows.' : '';
    } catch (e) {
      // A server without the studio's routes (404), or one that wants a token for the list:
      // the two built-ins every server has still work (WHIP takes their names).
      builtinOnly = e instanceof ApiError && (e.status === 404 || e.status === 405);
      needsToken = e instanceof ApiError && e.status === 401;
      list = Object.keys(BUILTIN_WORKFLOWS).map((name) => ({ name, source: 'builtin' }));
      note.hidden = false;
      note.textContent = e instanceof ApiError && e.status === 401
        ? 'The server wants a token to list its workflows: only the built-ins are shown (set the token, then ↻).'
        : `Only the built-ins are listed (${e.message}).`;
    }
    const keep = select.value;
    select.replaceChildren(...list.map((w) => new Option(w.source === 'builtin' ? `${w.name} (built in)` : w.name, w.name)));
    if (keep === UPLOADED || ![...select.options].some((o) => o.value === keep)) sync(ctx.workflow);
    else select.value = keep;
  }

  // A named workflow set by someone else (the shell's ?workflow= or hook) gets its prompts and
  // nodes quietly, for the controls panel; nothing is sent.
  async function enrich(w) {
    if (w.kind !== 'name' || w.prompts) return;
    try {
      const prompts = await namedPrompts(w.name);
      if (!prompts || ctx.workflow !== w) return;
      const verdict = await validate(prompts);
      if (ctx.workflow !== w) return;
      if (verdict.ok !== false) ctx.setWorkflow({ ...w, prompts, nodes: verdict.nodes ?? null });
    } catch (e) {
      console.warn(`[comfystream] workflow "${w.name}": ${e.message}`);
    }
  }

  select.addEventListener('change', () => {
    if (select.value === UPLOADED) return;
    quietly(choose({ kind: 'name', name: select.value, label: select.value }));
  });
  files.addEventListener('change', async () => {
    const chosen = [...files.files];
    files.value = ''; // the same file chosen again is a new choice
    if (!chosen.length) return;
    const label = chosen.length === 1 ? chosen[0].name : `${chosen.length} files`;
    let r;
    try {
      r = await readWorkflowFiles(chosen);
    } catch (e) {
      fileRefused(label, e);
      return;
    }
    await choose({ kind: 'prompts', prompts: r.prompts, label: r.label, sources: r.sources });
  });
  $('workflow-refresh').addEventListener('click', () => quietly(loadList()));
  // The token is typed in the set-up after the page loaded: the next look at the list uses it.
  select.addEventListener('focus', () => { if (needsToken) quietly(loadList()); });

  ctx.on('workflow', (w) => {
    sync(w);
    if (!own) quietly(enrich(w));
  });
  // The shell's publish was refused (its POST /prompt, or WHIP for a named workflow): the
  // reasons per node here, unless the file itself was the problem (already shown).
  ctx.on('refused', ({ error } = {}) => {
    if (ctx.workflow.invalid || !error?.body) return;
    showRefusal(error.body, ctx.workflow.prompts, ctx.workflow.sources);
    setStatus('invalid', `The server refused ${ctx.workflow.label}: nothing was published.`);
  });
  ctx.on('live', ({ streamId }) => {
    liveNow = { streamId };
    // A token typed after the page loaded (the publish just used it): now the list and the
    // running workflow's JSON (for the controls) can be had.
    if (needsToken) quietly(loadList());
    quietly(enrich(ctx.workflow));
  });
  ctx.on('idle', () => { liveNow = null; });
  ctx.on('token', () => { if (needsToken) quietly(loadList()); });

  panels.set(ctx, { showRefusal, setStatus, clearErrors });
  sync(ctx.workflow);
  quietly(loadList().then(() => enrich(ctx.workflow)));
}

const quietly = (p) => p.catch((e) => console.warn('[comfystream] workflows:', e));

// app.js's publish calls this before its WHIP POST. For uploaded (or edited) prompts: POST
// /prompt?streamId=S, which the server keeps for the stream's next publisher that names no
// ?workflow= (docs/API.md), so WHIP then goes without ?workflow=. Resolves to {workflow}: the
// name for WHIP's ?workflow=, or null to leave it out. Throws an Error naming the refusal (and
// shows it per node in the panel) when the workflow cannot run: the shell then publishes nothing.
export async function applyBeforePublish(ctx, streamId = ctx.streamId()) {
  const w = ctx.workflow;
  if (w.kind !== 'prompts') return { workflow: w.name ?? 'passthrough' };
  const panel = panels.get(ctx);
  if (w.invalid || !w.prompts?.length) throw new Error(`The workflow ${w.label} cannot run: ${w.invalid ?? 'no prompts'}`);
  try {
    await ctx.api.post(`/prompt?streamId=${encodeURIComponent(streamId)}`, { prompts: w.prompts });
  } catch (e) {
    if (e instanceof ApiError && e.body?.node_errors && panel) {
      const why = panel.showRefusal(e.body, w.prompts, w.sources);
      panel.setStatus('invalid', `The server refused ${w.label}.`);
      throw new Error(`The workflow ${w.label} was refused: ${why}`);
    }
    throw e;
  }
  return { workflow: null };
}
