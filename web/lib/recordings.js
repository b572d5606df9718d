// Server-side recordings of a stream (docs/RECORDING.md) as seen from a page: start, stop, list,
// and the recorded file as a URL a <video> or a download can use. No DOM.

import { errorFromResponse, streamPath } from './api.js';

export const recordingsPath = (streamId) => `${streamPath(streamId)}/recordings`;
export const recordingPath = (streamId, id) => `${recordingsPath(streamId)}/${encodeURIComponent(id)}`;

// The Matroska file (Range requests answered; `?download=1` adds Content-Disposition).
export const recordingFilePath = (streamId, id, { download = false } = {}) =>
  `${recordingPath(streamId, id)}/file${download ? '?download=1' : ''}`;

// The name a downloaded file gets: the server's own file name (its `path`'s last part), else one
// made from the stream and the id.
export function recordingFileName(status) {
  const base = String(status?.path ?? '').split('/').pop();
  if (base) return base;
  const stream = String(status?.stream_id ?? 'stream').replace(/[^A-Za-z0-9._-]+/g, '_');
  return `${stream}-${String(status?.id ?? '').slice(0, 8)}.mkv`;
}

export class RecordingsClient {
  // api: a ServerApi (lib/api.js).
  constructor(api) {
    this.api = api;
  }

  // The stream's recordings, oldest first. A stream the server does not know (never published,
  // or gone without recording) has none: [] rather than an error.
  list(streamId, { signal } = {}) { return this.api.list(recordingsPath(streamId), 'recordings', { signal }); }

  // 201 + the new recording's status.
  start(streamId) { return this.api.post(recordingsPath(streamId), {}); }

  // Resolves once the server has finalized the file, to the final status.
  stop(streamId, id) { return this.api.del(recordingPath(streamId, id)); }

  // A URL for the recorded file, and how to let it go: {url, revoke, objectUrl}.
  // Without a token a direct URL is best (the browser streams it with Range requests, however
  // long the file). With one, an <a href> or <video src> cannot send the Authorization header, so
  // the file is fetched with it into memory and handed over as an object URL, which the caller
  // must revoke when done.
  async fileUrl(streamId, id, { download = false, signal } = {}) {
    const path = recordingFilePath(streamId, id, { download });
    if (!this.api.token) return { url: this.api.url(path).href, revoke() {}, objectUrl: false };
    const blob = await this.api.blob(path, { signal });
    const url = URL.createObjectURL(blob);
    return { url, revoke: () => URL.revokeObjectURL(url), objectUrl: true };
  }

  // Resolves to null when the file can be read, else to the ApiError the server answered
  // (asks for one byte only).
  async checkFile(streamId, id) {
    const path = recordingFilePath(streamId, id);
    const res = await this.api.fetch(path, { headers: { Range: 'bytes=0-0' } });
    if (res.ok) {
      await res.body?.cancel();
      return null;
    }
    return errorFromResponse(`GET ${path}`, res);
  }
}

// What went wrong, in words a user can act on. `action`: 'start' | 'stop' | 'list' | 'play' |
// 'download'. `e`: an ApiError (with .status and the server's .detail) or any Error.
export function recordingErrorText(action, e, streamId) {
  const detail = e?.detail ? ` (the server says: ${e.detail})` : '';
  switch (e?.status) {
    case 409:
      return `Stream "${streamId}" has no publisher right now: start publishing first, then record.`;
    case 404:
      if (action === 'start') return `The server has no stream "${streamId}": start publishing first, then record.`;
      if (action === 'play' || action === 'download') return `That recording's file is not on the server${detail}.`;
      return `No such recording on "${streamId}"${detail}.`;
    case 503:
      return `Stream "${streamId}" has all the viewers it takes, and a recording is one: try again when one leaves${detail}.`;
    case 500:
      return `The server cannot write the recording${detail}: check its --record-dir and free disk space.`;
    case 401:
      return 'Not allowed (401): recordings on this server need a token — the stream\'s publish token or the admin token.';
    case 403:
      return `Refused (403)${detail}.`;
    default:
      return e?.message ?? String(e);
  }
}
