// Pushes of a stream's output to another WHIP server (docs/API.md, "Pushes") as seen from a
// page: start, stop, list. No DOM.

import { streamPath } from './api.js';

export const pushesPath = (streamId) => `${streamPath(streamId)}/pushes`;
export const pushPath = (streamId, id) => `${pushesPath(streamId)}/${encodeURIComponent(id)}`;

// The states a push goes through; the last two are final.
export const PUSH_STATES = ['connecting', 'live', 'retrying', 'stopped', 'failed'];
export const pushEnded = (status) => status?.state === 'stopped' || status?.state === 'failed';

export class PushesClient {
  // api: a ServerApi (lib/api.js).
  constructor(api) {
    this.api = api;
  }

  // The stream's pushes, oldest first; [] for a stream the server does not know.
  list(streamId, { signal } = {}) { return this.api.list(pushesPath(streamId), 'pushes', { signal }); }

  // url: the remote WHIP endpoint; token: its Bearer token, or '' for none (never echoed back).
  start(streamId, { url, token = '' }) {
    return this.api.post(pushesPath(streamId), token ? { url, token } : { url });
  }

  // Resolves once the remote session has been DELETEd (up to ~12 s), to the final status.
  stop(streamId, id) { return this.api.del(pushPath(streamId, id)); }
}

// A 403 that means pushes are off on this server altogether (no --push-allow), rather than a
// destination the allow-list does not name.
export const pushesDisabled = (e) => e?.status === 403 && /disabled/i.test(e.detail ?? '');

// What went wrong, in words a user can act on. `action`: 'start' | 'stop' | 'list'.
export function pushErrorText(action, e, streamId) {
  const detail = e?.detail ? ` (the server says: ${e.detail})` : '';
  switch (e?.status) {
    case 403:
      if (pushesDisabled(e)) {
        return `Pushes are disabled on this server: ${e.detail}. Whoever runs it can allow destinations `
          + 'with --push-allow host[:port],… (a server pushing to any URL it is given could be made to reach '
          + 'internal addresses, so pushes are off by default).';
      }
      return `This server may not push there${detail}: its --push-allow does not name that host.`;
    case 400:
      return `The server refused the push${detail}: the URL must be an absolute http(s) WHIP endpoint.`;
    case 409:
      return `Stream "${streamId}" has no publisher right now: start publishing first, then push.`;
    case 404:
      return action === 'start'
        ? `The server has no stream "${streamId}": start publishing first, then push.`
        : `No such push on "${streamId}"${detail}.`;
    case 503:
      return `Stream "${streamId}" takes no more pushes or viewers right now${detail}.`;
    case 401:
      return 'Not allowed (401): pushes on this server need a token — the stream\'s publish token or the admin token.';
    default:
      return e?.message ?? String(e);
  }
}
