// The server's HTTP control plane (JSON routes) as seen from a page: one base URL, one optional
// Bearer token, errors carrying the server's own JSON. No DOM here; WHIP/WHEP live in their own
// modules (they speak SDP, not JSON). HTTP contract: docs/API.md.

export class ApiError extends Error {
  // `body` is the parsed JSON error when the server sent one (`{error, status_code}`, or
  // ComfyUI's `{error: {type, message}, node_errors}` for a refused workflow), else null.
  constructor(what, status, detail, body = null, retryAfter = null) {
    super(`${what} → ${status}${detail ? ': ' + detail : ''}`);
    this.name = 'ApiError';
    this.status = status;
    this.detail = detail;
    this.body = body;
    this.retryAfter = retryAfter;
  }
}

// Turns any error answer into readable text: the JSON `error` (string, or ComfyUI's object with
// `message`), else the text without markup.
export async function errorFromResponse(what, res) {
  const text = (await res.text().catch(() => '')).trim();
  let body = null;
  let detail = text;
  try {
    body = JSON.parse(text);
    if (typeof body?.error === 'string') detail = body.error;
    else if (typeof body?.error?.message === 'string') detail = body.error.message;
  } catch {
    body = null;
    if (text.startsWith('<')) detail = text.replace(/<(head|style|script)[\s\S]*?<\/\1>/gi, ' ').replace(/<[^>]*>/g, ' ');
    detail = detail.replace(/\s+/g, ' ').trim();
  }
  return new ApiError(what, res.status, detail.slice(0, 500), body, res.headers.get('Retry-After'));
}

export class ServerApi {
  // base: the server's origin (e.g. location.origin); token: Bearer token or '' for none.
  constructor({ base, token = '' } = {}) {
    this.base = base;
    this.token = token;
  }

  url(path) { return new URL(path, this.base); }

  headers(extra = {}) {
    return this.token ? { Authorization: `Bearer ${this.token}`, ...extra } : { ...extra };
  }

  // fetch() with the token; a network failure becomes an Error naming the server.
  async fetch(path, init = {}) {
    const { headers, ...rest } = init;
    try {
      return await fetch(this.url(path), { ...rest, headers: this.headers(headers) });
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      throw new Error(`${init.method ?? 'GET'} ${path} failed: ${e.message} (is the server at ${this.base} running?)`);
    }
  }

  // JSON in, JSON out. `body` (any JSON value) is sent as application/json; an error answer
  // throws ApiError. Resolves to the parsed body (null for an empty one).
  async json(method, path, body, { signal } = {}) {
    const init = { method, signal };
    if (body !== undefined) {
      init.headers = { 'Content-Type': 'application/json' };
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const res = await this.fetch(path, init);
    if (!res.ok) throw await errorFromResponse(`${method} ${path}`, res);
    const text = await res.text();
    return text ? JSON.parse(text) : null;
  }

  get(path, opts) { return this.json('GET', path, undefined, opts); }
  post(path, body, opts) { return this.json('POST', path, body ?? {}, opts); }
  del(path, opts) { return this.json('DELETE', path, undefined, opts); }

  // A list the server answers as body[key] (a stream's recordings or pushes); [] for a stream it
  // does not know (404: never published, or gone) rather than an error.
  async list(path, key, opts) {
    try {
      const body = await this.get(path, opts);
      return Array.isArray(body?.[key]) ? body[key] : [];
    } catch (e) {
      if (e.status === 404) return [];
      throw e;
    }
  }

  // Plain text (e.g. /metrics).
  async text(path, { signal } = {}) {
    const res = await this.fetch(path, { signal });
    if (!res.ok) throw await errorFromResponse(`GET ${path}`, res);
    return res.text();
  }

  // A file as a Blob, fetched with the token (an <a href> or <video src> cannot send one).
  async blob(path, { signal } = {}) {
    const res = await this.fetch(path, { signal });
    if (!res.ok) throw await errorFromResponse(`GET ${path}`, res);
    return res.blob();
  }
}

// A stream id as one path segment (`/` becomes %2F), as the server's /streams/{id}/… routes take it.
export const streamPath = (streamId) => `/streams/${encodeURIComponent(streamId)}`;
