// ComfyUI workflows as the page handles them, without DOM: reading API-format files, turning the
// server's refusals (ComfyUI's node_errors) into sentences, the widget model of a `nodes_info`
// reply, and prompts cloned with one input changed. Formats: docs/API.md (Workflows, Data channels).

// The server's bounds (docs/security/LIMITS.md): a JSON body of at most 1 MiB, at most 16
// workflows per request. Checked here too, so a user learns it before anything is sent.
export const MAX_BODY_BYTES = 1 << 20;
export const MAX_PROMPTS = 16;

// A file the page cannot use; `message` is a whole sentence naming the file.
export class WorkflowFileError extends Error {
  constructor(message) {
    super(message);
    this.name = 'WorkflowFileError';
  }
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

// True when `v` looks like one API-format prompt: {node_id: {class_type, inputs}}.
export function isApiPrompt(v) {
  if (!isObject(v)) return false;
  const nodes = Object.values(v);
  return nodes.length > 0 && nodes.every((n) => isObject(n) && typeof n.class_type === 'string'
    && (n.inputs === undefined || isObject(n.inputs)));
}

// Why `v` is not an API-format prompt, in words, or null when it is one.
function whyNotApi(v) {
  if (Array.isArray(v)) return 'it is a list, not a workflow';
  if (!isObject(v)) return `it holds ${v === null ? 'null' : typeof v}, not a workflow object`;
  if (Array.isArray(v.nodes) && Array.isArray(v.links)) {
    return 'it is a ComfyUI UI-format export ("nodes" and "links"), not the API format: '
      + 'in ComfyUI use Workflow → Export (API) and upload that file';
  }
  const keys = Object.keys(v);
  if (!keys.length) return 'it is an empty object';
  for (const id of keys) {
    const n = v[id];
    if (!isObject(n)) return `its entry "${id}" is not a node object`;
    if (typeof n.class_type !== 'string') return `its node "${id}" has no "class_type"`;
    if (n.inputs !== undefined && !isObject(n.inputs)) return `the "inputs" of node "${id}" is not an object`;
  }
  return null;
}

// One file's text → the list of prompts it holds. Takes what the server takes: one prompt, a list
// of prompts, {"prompts": …}, and ComfyUI's own /prompt body {"prompt": {…}}.
// Throws WorkflowFileError with a sentence naming `name`.
export function parseWorkflowText(text, name = 'the file') {
  if (new TextEncoder().encode(text).length > MAX_BODY_BYTES) {
    throw new WorkflowFileError(`${name} is larger than the server takes (1 MiB).`);
  }
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new WorkflowFileError(`${name} is not JSON (${e.message}).`);
  }
  let list;
  if (Array.isArray(doc)) list = doc;
  else if (isObject(doc) && Array.isArray(doc.prompts)) list = doc.prompts;
  // (A node whose id is "prompt" or "prompts" has a class_type: it is a prompt, not a wrapper.)
  else if (isObject(doc) && isObject(doc.prompts) && typeof doc.prompts.class_type !== 'string') list = [doc.prompts];
  else if (isObject(doc) && isObject(doc.prompt) && typeof doc.prompt.class_type !== 'string') list = [doc.prompt];
  else list = [doc];
  if (!list.length) throw new WorkflowFileError(`${name} holds an empty list of workflows.`);
  list.forEach((p, i) => {
    const why = whyNotApi(p);
    if (why) throw new WorkflowFileError(`${name}${list.length > 1 ? ` (workflow ${i + 1})` : ''} is not an API-format workflow: ${why}.`);
  });
  return list;
}

// Files (from <input type=file multiple>, or anything with name and text()) → one list of prompts,
// files in the order given, as the original UI does. Resolves to {prompts, label, sources}
// (sources[i] = the file name prompt i came from). Throws WorkflowFileError on the first bad file.
export async function readWorkflowFiles(files) {
  const list = [...files];
  if (!list.length) throw new WorkflowFileError('No file was chosen.');
  const prompts = [];
  const sources = [];
  for (const f of list) {
    if (f.size > MAX_BODY_BYTES) throw new WorkflowFileError(`${f.name} is larger than the server takes (1 MiB).`);
    const got = parseWorkflowText(await f.text(), f.name);
    prompts.push(...got);
    sources.push(...got.map(() => f.name));
  }
  if (prompts.length > MAX_PROMPTS) {
    throw new WorkflowFileError(`${prompts.length} workflows in all: the server runs at most ${MAX_PROMPTS} at once.`);
  }
  if (new TextEncoder().encode(JSON.stringify(prompts)).length > MAX_BODY_BYTES) {
    throw new WorkflowFileError('Together the files are larger than the server takes in one request (1 MiB).');
  }
  const label = list.length === 1 ? list[0].name : `${list.length} files (${list.map((f) => f.name).join(', ')})`;
  return { prompts, label, sources };
}

// ---------------------------------------------------------------------------------------------
// Refusals

// The server's refusal (an ApiError's body, or an update_prompts reply with `error` and
// `node_errors`) → {summary, items}: one item per node error,
// {nodeId, classType, input, message, text} with text like
// "Node 4 (ImageBlur), input blur_radius: Value 0 smaller than min of 1".
// `prompts` (optional) names which workflow of a list holds the node, when it is ambiguous.
export function describeRefusal(body, prompts = null, sources = null) {
  const err = body?.error;
  const summary = typeof err === 'string' ? err
    : typeof err?.message === 'string' ? err.message : 'The server refused the workflow.';
  const items = [];
  const nodeErrors = isObject(body?.node_errors) ? body.node_errors : {};
  for (const [nodeId, ne] of Object.entries(nodeErrors)) {
    const classType = typeof ne?.class_type === 'string' ? ne.class_type : '';
    const where = whereIs(nodeId, classType, prompts, sources);
    for (const e of Array.isArray(ne?.errors) ? ne.errors : []) {
      const input = typeof e?.extra_info?.input_name === 'string' ? e.extra_info.input_name : '';
      const message = typeof e?.message === 'string' ? e.message : 'refused';
      // A detail beyond the input's own name (e.g. the value that failed to convert) helps.
      const details = typeof e?.details === 'string' && e.details && e.details !== input ? ` (${e.details})` : '';
      const text = `Node ${nodeId}${classType ? ` (${classType})` : ''}${where}`
        + `${input ? `, input ${input}` : ''}: ${message}${details}`;
      items.push({ nodeId, classType, input, message, text });
    }
  }
  return { summary, items };
}

// " in workflow 2 (b.json)" when a list of several prompts holds the node in only some of them.
function whereIs(nodeId, classType, prompts, sources) {
  if (!Array.isArray(prompts) || prompts.length < 2) return '';
  const hits = prompts.map((p, i) => (p?.[nodeId] && (!classType || p[nodeId].class_type === classType) ? i : -1))
    .filter((i) => i >= 0);
  if (hits.length !== 1) return '';
  const i = hits[0];
  return ` in workflow ${i + 1}${sources?.[i] ? ` (${sources[i]})` : ''}`;
}

// ---------------------------------------------------------------------------------------------
// Widgets (the `nodes` of a nodes_info reply, or of POST /workflows/validate)

// nodes: {prompt_index: {node_id: {class_type, inputs: {name: {value, type, min, max, widget}}}}}
// → [{index, nodes: [{id, classType, inputs: [widget]}]}] sorted by index and node id, where a
// widget is {name, kind: 'int'|'float'|'boolean'|'combo'|'text', value, min, max, step, options}.
export function widgetModel(nodes) {
  const out = [];
  if (!isObject(nodes)) return out;
  for (const [index, byId] of Object.entries(nodes)) {
    if (!isObject(byId)) continue;
    const list = [];
    for (const [id, node] of Object.entries(byId)) {
      const inputs = [];
      for (const [name, d] of Object.entries(isObject(node?.inputs) ? node.inputs : {})) {
        const w = toWidget(name, d);
        if (w) inputs.push(w);
      }
      list.push({ id, classType: String(node?.class_type ?? '?'), inputs });
    }
    list.sort((a, b) => compareIds(a.id, b.id));
    out.push({ index: Number(index), nodes: list });
  }
  return out.sort((a, b) => a.index - b.index);
}

const compareIds = (a, b) => {
  const [x, y] = [Number(a), Number(b)];
  return Number.isFinite(x) && Number.isFinite(y) ? x - y : String(a).localeCompare(String(b));
};

function toWidget(name, d) {
  if (!isObject(d)) return null;
  const type = String(d.type ?? '').toUpperCase();
  const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  if (type === 'COMBO' || Array.isArray(d.value)) {
    const options = Array.isArray(d.value) ? d.value.map(String) : [];
    return { name, kind: 'combo', options, value: options[0] ?? '' };
  }
  if (type === 'INT' || type === 'FLOAT') {
    const kind = type === 'INT' ? 'int' : 'float';
    return {
      name, kind, value: num(d.value) ?? num(d.min) ?? 0, min: num(d.min), max: num(d.max),
      step: kind === 'int' ? 1 : stepFor(num(d.min), num(d.max)),
    };
  }
  if (type === 'BOOLEAN') return { name, kind: 'boolean', value: d.value === true };
  if (type === 'STRING') return { name, kind: 'text', value: typeof d.value === 'string' ? d.value : '' };
  return null; // links and tensors are not widgets
}

// A FLOAT's step: a hundredth of its range, rounded to a power of ten (0.01 for 0…1, 0.1 for 0…10).
function stepFor(min, max) {
  if (min === null || max === null || !(max > min)) return 0.01;
  return 10 ** Math.floor(Math.log10((max - min) / 100));
}

// The current value of an input in `prompts` (the prompts the stream runs), or undefined.
export function inputValue(prompts, index, nodeId, name) {
  return prompts?.[index]?.[nodeId]?.inputs?.[name];
}

// Why `value` cannot be sent for `widget`, in words, or null when it can.
export function checkValue(widget, value) {
  switch (widget.kind) {
    case 'int':
    case 'float': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return `${widget.name} must be a number`;
      if (widget.kind === 'int' && !Number.isInteger(value)) return `${widget.name} must be a whole number`;
      if (widget.min !== null && value < widget.min) return `${widget.name}: ${value} is smaller than its min of ${widget.min}`;
      if (widget.max !== null && value > widget.max) return `${widget.name}: ${value} is bigger than its max of ${widget.max}`;
      return null;
    }
    case 'boolean': return typeof value === 'boolean' ? null : `${widget.name} must be true or false`;
    case 'combo':
      return widget.options.includes(value) ? null : `${widget.name}: "${value}" is not one of ${widget.options.join(', ')}`;
    case 'text': return typeof value === 'string' ? null : `${widget.name} must be text`;
    default: return `${widget.name} cannot be edited`;
  }
}

// A deep copy of `prompts` with one input set: what update_prompts takes (the full list, as the
// original UI sends it). Throws when the prompt or node is not in the list.
export function withInput(prompts, index, nodeId, name, value) {
  const copy = structuredClone(prompts);
  const node = copy?.[index]?.[nodeId];
  if (!isObject(node)) throw new Error(`workflow ${index + 1} has no node ${nodeId}`);
  node.inputs = isObject(node.inputs) ? node.inputs : {};
  node.inputs[name] = value;
  return copy;
}

// The server's two built-in workflows in API format, for a server without GET /workflows (older
// than the studio's routes): the page can still list them and switch to them live by POST /prompt.
export const BUILTIN_WORKFLOWS = Object.freeze({
  passthrough: [{
    1: { class_type: 'LoadTensor', inputs: {} },
    2: { class_type: 'SaveTensor', inputs: { images: ['1', 0] } },
  }],
  invert: [{
    1: { class_type: 'LoadTensor', inputs: {} },
    2: { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
    3: { class_type: 'SaveTensor', inputs: { images: ['2', 0] } },
  }],
});

// A GET /workflows/{name} answer (one prompt, a list, or {"prompts": …}) → a list of prompts.
export function promptsOf(doc, name) {
  return parseWorkflowText(JSON.stringify(doc), `workflow "${name}"`);
}
