// A WHEP viewer (draft-ietf-wish-whep): one recvonly RTCPeerConnection from
// POST /whep?streamId=…; 409 (no publisher yet) and 503 with Retry-After (the stream has all the
// viewers it takes) are retried until stop(). The received tracks are in `stream`. No DOM.
import { localOffer } from './ice.js';
import {
  deleteResource, errorFromResponse, postOffer, resourceOf, retryDelay, sleep,
} from './signaling.js';

export class WhepViewer extends EventTarget {
  constructor({ api, iceServers = [], log = () => {} }) {
    super();
    this.api = api;
    this.iceServers = iceServers;
    this.log = log;
    this.pc = null;
    this.resource = null;
    this.etag = null;
    this.linkHeader = null;
    this.retries = 0;
    this.stream = new MediaStream();
    this.abort = new AbortController();
  }

  get location() { return this.resource?.pathname ?? null; }
  get connectionState() { return this.pc?.connectionState ?? 'closed'; }

  // Events: 'state' (connectionState), 'waiting' (detail: {status, message, waitMs}) before each retry.
  async start({ streamId }) {
    const pc = new RTCPeerConnection({ iceServers: this.iceServers, bundlePolicy: 'max-bundle' });
    this.pc = pc;
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.addEventListener('track', (e) => this.stream.addTrack(e.track));
    pc.addEventListener('connectionstatechange', () => {
      this.dispatchEvent(new CustomEvent('state', { detail: pc.connectionState }));
    });

    const offer = await localOffer(pc, { onLate: (t) => this.log(t, true) });
    const path = `/whep?streamId=${encodeURIComponent(streamId)}`;
    let res;
    for (let attempt = 0; ; attempt++) {
      this.log(`POST ${path}${attempt ? ` (retry ${attempt})` : ''}`);
      res = await postOffer(this.api, path, offer, this.abort.signal);
      const retryable = res.status === 409 || (res.status === 503 && res.headers.has('Retry-After'));
      if (!retryable) break;
      const err = await errorFromResponse(`WHEP POST ${path}`, res);
      const waitMs = retryDelay(res, attempt);
      this.retries++;
      this.dispatchEvent(new CustomEvent('waiting', { detail: { status: res.status, message: err.message, detail: err.detail, waitMs } }));
      this.log(`${err.message}; retrying in ${waitMs} ms`);
      await sleep(waitMs, this.abort.signal);
    }
    if (!res.ok) throw await errorFromResponse(`WHEP POST ${path}`, res);
    this.resource = resourceOf(res);
    if (!this.resource) this.log('WHEP answer has no Location header: cannot DELETE the session later', true);
    this.etag = res.headers.get('ETag');
    this.linkHeader = res.headers.get('Link');
    const answer = await res.text();
    if (this.abort.signal.aborted) throw new DOMException('cancelled', 'AbortError');
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    return { location: this.location, retries: this.retries };
  }

  // Whether the server still holds the session (GET /whep/{id}: 204 alive, 404 ended). A
  // network error counts as alive: the connection may come back.
  async alive() {
    if (!this.resource) return false;
    try {
      const res = await fetch(this.resource, { headers: this.api.headers(), signal: this.abort.signal });
      return res.status !== 404;
    } catch {
      return true;
    }
  }

  async stop() {
    this.abort.abort();
    const status = this.resource ? await deleteResource(this.api, this.resource) : 0;
    this.pc?.close();
    return status;
  }
}
