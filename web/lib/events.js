// A WHEP session's server-sent events (docs/API.md "WHEP server-sent events"):
// POST /whep/{id}/sse with the wanted types (with the token), then an EventSource on the
// returned Location (the GET needs no token: the URL itself is unguessable). No DOM.
import { errorFromResponse } from './api.js';

export const EVENT_TYPES = Object.freeze(['active', 'inactive', 'viewercount']);

export class WhepEvents extends EventTarget {
  // Events: 'active', 'inactive', 'viewercount' (detail: the event's JSON data), 'end' (the
  // event stream closed for good: the session ended).
  constructor({ api }) {
    super();
    this.api = api;
    this.source = null;
    this.url = null;
  }

  // whepLocation: the WHEP session's path or URL (/whep/{id}).
  async open(whepLocation, types = EVENT_TYPES) {
    const path = `${new URL(whepLocation, this.api.base).pathname}/sse`;
    const res = await this.api.fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(types),
    });
    if (!res.ok) throw await errorFromResponse(`POST ${path}`, res);
    const location = res.headers.get('Location');
    if (!location) throw new Error(`POST ${path}: no Location for the event stream`);
    this.url = new URL(location, res.url);
    const es = new EventSource(this.url);
    this.source = es;
    for (const type of types) {
      es.addEventListener(type, (e) => {
        let data = {};
        try {
          data = JSON.parse(e.data);
        } catch { /* an empty or odd payload still signals the event */ }
        this.dispatchEvent(new CustomEvent(type, { detail: data }));
      });
    }
    // After the session ends the browser's reconnect gets 404 and EventSource closes for good.
    es.addEventListener('error', () => {
      if (es.readyState === EventSource.CLOSED) this.dispatchEvent(new CustomEvent('end'));
    });
    return this.url;
  }

  // Closes the EventSource and deletes the event stream (best effort: the session may be gone).
  async close() {
    this.source?.close();
    this.source = null;
    if (this.url) {
      const url = this.url;
      this.url = null;
      await fetch(url, { method: 'DELETE', headers: this.api.headers(), keepalive: true }).catch(() => {});
    }
  }
}
