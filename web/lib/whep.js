// A WHEP viewer (draft-ietf-wish-whep): one recvonly RTCPeerConnection from
// POST /whep?streamId=…; 409 (no publisher yet) and 503 with Retry-After (the stream has all the
// viewers it takes) are retried until stop(). The received tracks are in `stream`. No DOM.
import { localOffer } from './ice.js';
import { SignalingSession, deleteResource, exchangeOffer } from './signaling.js';

export class WhepViewer extends SignalingSession {
  constructor(opts) {
    super(opts);
    this.retries = 0;
    this.stream = new MediaStream();
  }

  // Events: 'state' (connectionState), 'waiting' (detail: {status, message, waitMs}) before each retry.
  async start({ streamId }) {
    const pc = this._newPeerConnection();
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.addEventListener('track', (e) => this.stream.addTrack(e.track));

    const offer = await localOffer(pc, { onLate: (t) => this.log(t, true) });
    const path = `/whep?streamId=${encodeURIComponent(streamId)}`;
    await exchangeOffer(this, path, offer, 'WHEP', {
      retryable: (res) => res.status === 409 || (res.status === 503 && res.headers.has('Retry-After')),
      onWait: (res, err, waitMs) => {
        this.retries++;
        this.dispatchEvent(new CustomEvent('waiting', { detail: { status: res.status, message: err.message, detail: err.detail, waitMs } }));
      },
    });
    return { location: this.location, retries: this.retries };
  }

  async stop() {
    this.abort.abort();
    const status = await deleteResource(this.api, this.resource);
    this.pc?.close();
    return status;
  }
}
