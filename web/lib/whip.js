// A WHIP publisher (RFC 9725): one RTCPeerConnection sending a MediaStream to
// POST /whip?streamId=…[&workflow=…], with the `control` and `data` data channels of the
// original's protocol (docs/API.md "Data channels"). Non-trickle: the offer carries every
// candidate. 409/503 with Retry-After (a publisher still being set up, the server full) are
// retried a few times. No DOM: reusable by any page.
import { ControlChannel } from './control.js';
import { preferCodec } from './codecs.js';
import { localOffer } from './ice.js';
import { SignalingSession, deleteResource, exchangeOffer } from './signaling.js';

const MAX_RETRIES = 4;

export class WhipPublisher extends SignalingSession {
  // api: ServerApi; iceServers: RTCIceServer[]; log(text, bad): optional.
  constructor(opts) {
    super(opts);
    this.control = null; // ControlChannel once `control` is open
    this.dataChannel = null;
  }

  // Publishes `stream` (its first video track and its audio tracks). workflow: a name, or
  // null to run the stream's kept workflow (POST /prompt before) or passthrough.
  // Events: 'state' (detail: connectionState), 'control' (ControlChannel open), 'text'
  // (detail: {text, at}), 'message' (detail: any other JSON on `data`).
  async start({ stream, streamId, workflow = null, codec = 'auto' }) {
    const pc = this._newPeerConnection();

    const videoTrack = stream.getVideoTracks()[0];
    if (videoTrack) {
      const video = pc.addTransceiver(videoTrack, { direction: 'sendonly', streams: [stream] });
      preferCodec(video, codec);
      try {
        // Keep the published size: never let the encoder scale the picture down.
        const p = video.sender.getParameters();
        p.degradationPreference = 'maintain-resolution';
        await video.sender.setParameters(p);
      } catch (e) {
        this.log(`could not set degradationPreference: ${e.message}`);
      }
    }
    for (const track of stream.getAudioTracks()) {
      pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
    }
    this._openChannels(pc);

    const offer = await localOffer(pc, { onLate: (t) => this.log(t, true) });
    let path = `/whip?streamId=${encodeURIComponent(streamId)}`;
    if (workflow) path += `&workflow=${encodeURIComponent(workflow)}`;
    await exchangeOffer(this, path, offer, 'WHIP', {
      retryable: (res, attempt) => (res.status === 409 || res.status === 503) && res.headers.has('Retry-After')
        && attempt < MAX_RETRIES,
    });
    return { location: this.location, etag: this.etag };
  }

  _openChannels(pc) {
    const control = pc.createDataChannel('control');
    control.addEventListener('open', () => {
      this.control = new ControlChannel(control);
      this.dispatchEvent(new CustomEvent('control', { detail: this.control }));
    });
    control.addEventListener('close', () => {
      this.control?.close();
      this.control = null;
    });
    const data = pc.createDataChannel('data');
    this.dataChannel = data;
    data.addEventListener('message', (e) => {
      let msg;
      try {
        msg = JSON.parse(e.data);
      } catch {
        return; // not ours
      }
      if (msg?.type === 'text' && typeof msg.data === 'string') {
        this.dispatchEvent(new CustomEvent('text', { detail: { text: msg.data, at: new Date() } }));
      } else {
        this.dispatchEvent(new CustomEvent('message', { detail: msg }));
      }
    });
  }

  // Ends the session: DELETE (resolves to its status, 0 when there was none), then closes.
  async stop() {
    this.abort.abort();
    const status = await deleteResource(this.api, this.resource);
    this.control?.close();
    this.control = null;
    this.pc?.close();
    return status;
  }
}
