// The publisher's `control` data channel as request(msg) → Promise<reply> (docs/API.md "Data
// channels"). Replies carry no id, so requests go one at a time and a reply is matched by its
// type; `{"type": "error"}` rejects the pending request. Each request has a deadline. No DOM.

// The reply type each request type gets.
export const REPLY_TYPE = Object.freeze({
  get_nodes: 'nodes_info',
  update_prompts: 'prompts_updated',
  update_resolution: 'resolution_updated',
  pause_prompts: 'prompts_paused',
  resume_prompts: 'prompts_resumed',
  stop_prompts: 'prompts_stopped',
});

export class ControlError extends Error {
  constructor(message, reply) {
    super(message);
    this.name = 'ControlError';
    this.reply = reply; // the server's JSON (error, node_errors), or null
  }
}

const MAX_QUEUE = 32; // a UI that queues more than this is stuck; refuse rather than grow

export class ControlChannel {
  constructor(channel, { timeoutMs = 10_000 } = {}) {
    this.channel = channel;
    this.timeoutMs = timeoutMs;
    this.queue = []; // {msg, expect, resolve, reject}
    this.pending = null; // the request on the wire, with its timer
    this.closed = false;
    this._onMessage = (e) => this._reply(e.data);
    this._onClose = () => this.close();
    channel.addEventListener('message', this._onMessage);
    channel.addEventListener('close', this._onClose);
  }

  // Sends msg (an object with `type`) once the previous request is answered. Resolves to the
  // reply; rejects with ControlError on an error reply, a `success: false` reply, a timeout or
  // the channel closing.
  request(msg) {
    if (this.closed) return Promise.reject(new ControlError('the control channel is closed', null));
    if (this.queue.length >= MAX_QUEUE) return Promise.reject(new ControlError('too many control requests waiting', null));
    const expect = REPLY_TYPE[msg?.type];
    if (!expect) return Promise.reject(new ControlError(`unknown control request "${msg?.type}"`, null));
    return new Promise((resolve, reject) => {
      this.queue.push({ msg, expect, resolve, reject });
      this._next();
    });
  }

  _next() {
    if (this.pending || !this.queue.length || this.closed) return;
    const req = this.queue.shift();
    this.pending = req;
    req.timer = setTimeout(() => {
      if (this.pending !== req) return;
      this.pending = null;
      req.reject(new ControlError(`no ${req.expect} reply to ${req.msg.type} within ${this.timeoutMs} ms`, null));
      this._next();
    }, this.timeoutMs);
    try {
      this.channel.send(JSON.stringify(req.msg));
    } catch (e) {
      clearTimeout(req.timer);
      this.pending = null;
      req.reject(new ControlError(`could not send ${req.msg.type}: ${e.message}`, null));
      this._next();
    }
  }

  _reply(data) {
    let reply;
    try {
      reply = JSON.parse(data);
    } catch {
      return;
    }
    const req = this.pending;
    if (!req) return; // unsolicited: nothing waits for it
    if (reply?.type !== req.expect && reply?.type !== 'error') return;
    clearTimeout(req.timer);
    this.pending = null;
    if (reply.type === 'error' || reply.success === false) {
      const text = typeof reply.error === 'string' ? reply.error : reply.error?.message ?? `${req.msg.type} refused`;
      req.reject(new ControlError(text, reply));
    } else {
      req.resolve(reply);
    }
    this._next();
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.channel.removeEventListener('message', this._onMessage);
    this.channel.removeEventListener('close', this._onClose);
    const err = new ControlError('the control channel closed', null);
    if (this.pending) {
      clearTimeout(this.pending.timer);
      this.pending.reject(err);
      this.pending = null;
    }
    for (const req of this.queue.splice(0)) req.reject(err);
  }
}
