// The HTTP half of WHIP and WHEP shared by both sessions: POST an SDP offer, DELETE the session,
// read Retry-After. Uses ServerApi (lib/api.js) for the base URL and the Bearer token; errors are
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

// DELETE the session (with the token; keepalive so that it survives the page closing).
// Resolves to the status, 0 when the request failed.
export async function deleteResource(api, resource) {
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
