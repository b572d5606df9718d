// What the studio's panels share, so each panel is one module that knows nothing of the others:
// the server API, the stream the page works on, the live publisher's control/data channels,
// and a few events. Made once by app.js and handed to every panel's mount(el, ctx).
//
// Events (ctx.on(name, fn) → unsubscribe function):
//   'stream'  {streamId}             the stream id field changed
//   'live'    {streamId, location}   this page's publisher is connected (WHIP 201 + ICE/DTLS up)
//   'idle'    {streamId, reason}     this page stopped publishing, or the publisher dropped
//   'text'    {text, at}             a text output arrived on the data channel
//   'workflow' {kind: 'name'|'prompts', name?, prompts?, label}   the chosen workflow changed
//   'token'   {}                     the Bearer token changed (panels refused with 401 ask again)
//   'message' {level: 'info'|'ok'|'warn'|'error', text}   something for the user (toasts)

export class StudioContext {
  constructor({ api, streamId }) {
    this.api = api;
    this._streamId = streamId;
    this._handlers = new Map();
    // Set by app.js while live: an object with request(msg) → Promise<reply> for the `control`
    // data channel (get_nodes, update_prompts, ...), or null when not publishing.
    this.control = null;
    // The workflow the next publish uses: {kind: 'name', name} or {kind: 'prompts', prompts, label}.
    this.workflow = { kind: 'name', name: 'passthrough', label: 'passthrough' };
  }

  streamId() { return this._streamId; }

  setStreamId(id) {
    if (id === this._streamId) return;
    this._streamId = id;
    this.emit('stream', { streamId: id });
  }

  setWorkflow(w) {
    this.workflow = w;
    this.emit('workflow', w);
  }

  on(name, fn) {
    if (!this._handlers.has(name)) this._handlers.set(name, new Set());
    this._handlers.get(name).add(fn);
    return () => this._handlers.get(name)?.delete(fn);
  }

  emit(name, detail) {
    for (const fn of [...(this._handlers.get(name) ?? [])]) {
      try {
        fn(detail);
      } catch (e) {
        console.error(`[comfystream] ${name} handler failed`, e);
      }
    }
  }

  // Shorthand for panels: a message the shell shows as a toast and in the log.
  say(level, text) { this.emit('message', { level, text }); }
}
