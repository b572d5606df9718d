// The HTTP half of WHIP and WHEP shared by both sessions: what a session holds (SignalingSession),
// POST an SDP offer and take the answer, ask whether the session lives, DELETE it, read
// Retry-After. Uses ServerApi (lib/api.js) for the base URL and the Bearer token; errors are
// ApiError with the server's text. No DOM.
import { errorFromResponse } from './api.js';

// POST `sdp` to `path`; resolves to the Response whatever its status (the caller decides what a
// 409 or a 503 means).
export function postOffer(api, path, sdp, signal) {
  return api.fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/sdp' },
    body: sdp,
    signal,
  });
}

// The session's resource URL from a 201 (Location is relative to the request URL).
export function resourceOf(res) {
  const location = res.headers.get('Location');
  return location ? new URL(location, res.url) : null;
}

// The offer/answer exchange of a WhipPublisher or WhepViewer (`session`: its api, pc, abort, log;
// sets its resource, etag and linkHeader): POST `offer` to `path`, retried while
// retryable(res, attempt) says so (onWait(res, error, waitMs) before each wait), then the 201's
// Location, ETag and Link, and its answer as the remote description. what: 'WHIP' or 'WHEP'.
export async function exchangeOffer(session, path, offer, what, { retryable, onWait = () => {} }) {
  let res;
  for (let attempt = 0; ; attempt++) {
    session.log(`POST ${path}${attempt ? ` (retry ${attempt})` : ''}`);
    res = await postOffer(session.api, path, offer, session.abort.signal);
    if (!retryable(res, attempt)) break;
    const err = await errorFromResponse(`${what} POST ${path}`, res);
    const waitMs = retryDelay(res, attempt);
    onWait(res, err, waitMs);
    session.log(`${err.message}; retrying in ${waitMs} ms`);
    await sleep(waitMs, session.abort.signal);
  }
  if (!res.ok) throw await errorFromResponse(`${what} POST ${path}`, res);
  session.resource = resourceOf(res);
  if (!session.resource) session.log(`${what} answer has no Location header: cannot DELETE the session later`, true);
  session.etag = res.headers.get('ETag');
  session.linkHeader = res.headers.get('Link');
  const answer = await res.text();
  if (session.abort.signal.aborted) throw new DOMException('cancelled', 'AbortError');
  await session.pc.setRemoteDescription({ type: 'answer', sdp: answer });
}

// What a WHIP publisher and a WHEP viewer hold alike: the server API (ServerApi), the ICE
// servers (RTCIceServer[]), log(text, bad), the peer connection, the session's resource (the URL
// of /whip/{id} or /whep/{id}) with its ETag and Link header, and the abort of its requests.
export class SignalingSession extends EventTarget {
  constructor({ api, iceServers = [], log = () => {} }) {
    super();
    this.api = api;
    this.iceServers = iceServers;
    this.log = log;
    this.pc = null;
    this.resource = null;
    this.etag = null;
    this.linkHeader = null;
    this.abort = new AbortController();
  }

  get location() { return this.resource?.pathname ?? null; }
  get connectionState() { return this.pc?.connectionState ?? 'closed'; }

  // The session's RTCPeerConnection (one BUNDLE group); its state changes are 'state' events
  // (detail: connectionState).
  _newPeerConnection() {
    const pc = new RTCPeerConnection({ iceServers: this.iceServers, bundlePolicy: 'max-bundle' });
    this.pc = pc;
    pc.addEventListener('connectionstatechange', () => {
      this.dispatchEvent(new CustomEvent('state', { detail: pc.connectionState }));
    });
    return pc;
  }

  // Whether the server still holds the session (GET /whip/{id} or /whep/{id}: 404 once it ended,
  // e.g. a publisher taken over by another, a session ended by the watchdog or an operator).
  alive() { return resourceAlive(this.api, this.resource, this.abort.signal); }
}

// Whether the server still holds the session (GET on its resource: 204 while it lives, 404 once
// it ended). No resource: false. A network error counts as alive: the connection may come back.
export async function resourceAlive(api, resource, signal) {
  if (!resource) return false;
  try {
    const res = await fetch(resource, { headers: api.headers(), signal });
    return res.status !== 404;
  } catch {
    return true;
  }
}

// DELETE the session (with the token; keepalive so that it survives the page closing).
// Resolves to the status, 0 when there is no session or the request failed.
export async function deleteResource(api, resource) {
  if (!resource) return 0;
  try {
    const res = await fetch(resource, { method: 'DELETE', headers: api.headers(), keepalive: true });
    return res.status;
  } catch {
    return 0;
  }
}

// Retry-After in ms (seconds or an HTTP date), or null.
export function retryAfterMs(header) {
  if (!header) return null;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

// The wait before retry `attempt` (0-based): the server's Retry-After, at least an exponential
// backoff from 500 ms, at most 5 s of backoff.
export function retryDelay(res, attempt) {
  const backoff = Math.min(500 * 2 ** attempt, 5000);
  return Math.max(retryAfterMs(res.headers.get('Retry-After')) ?? 0, backoff);
}

export function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new DOMException('cancelled', 'AbortError'));
      return;
    }
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new DOMException('cancelled', 'AbortError'));
    }, { once: true });
  });
}

export { errorFromResponse };
