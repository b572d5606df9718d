// ICE restart mid-stream (RFC 9725 §4.3.3, WHEP §4.5.3) from headless Chromium: a publisher page
// and a viewer page on another origin (so CORS must let If-Match in and ETag out) each restart
// ICE with pc.restartIce(), PATCH their new credentials with If-Match, apply the server's 200
// fragment, and the viewer keeps decoding frames throughout.
//
//   node --test tests/integration/browser/ice-restart.test.mjs   (env COMFYSTREAM_BIN)

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStaticServer, suite, until } from './harness.mjs';

// Runs in the page: a WHIP publisher and a WHEP viewer by hand (no UI), with a restart helper.
function installClient() {
  const gathered = (pc) => new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') resolve();
    });
  });
  // RFC 8840 fragment for the BUNDLE tag (the first m-section): credentials, mid, candidates.
  const fragmentOf = (sdp) => {
    const [session, first] = sdp.split('\r\nm=');
    const lines = first.split('\r\n');
    const attr = (key) => (lines.find((l) => l.startsWith(`a=${key}:`))
      ?? session.split('\r\n').find((l) => l.startsWith(`a=${key}:`))).slice(key.length + 3);
    return [`a=ice-ufrag:${attr('ice-ufrag')}`, `a=ice-pwd:${attr('ice-pwd')}`, `m=${lines[0]}`,
      `a=mid:${attr('mid')}`, ...lines.filter((l) => l.startsWith('a=candidate:')), 'a=end-of-candidates', ''].join('\r\n');
  };
  const session = async (pc, url) => {
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription.sdp });
    if (res.status !== 201) throw new Error(`POST ${url}: ${res.status} ${await res.text()}`);
    const s = { pc, location: new URL(res.headers.get('Location'), url).href, etag: res.headers.get('ETag') };
    await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
    return s;
  };
  const selectedPair = async (pc) => {
    const stats = [...(await pc.getStats()).values()];
    const transport = stats.find((r) => r.type === 'transport' && r.selectedCandidatePairId);
    const pair = transport && stats.find((r) => r.id === transport.selectedCandidatePairId);
    const local = pair && stats.find((r) => r.id === pair.localCandidateId);
    return {
      state: pc.iceConnectionState,
      pairChanges: transport?.selectedCandidatePairChanges ?? null,
      localUfrag: local?.usernameFragment ?? null,
    };
  };
  window.ice = {
    async publish(base, streamId) {
      const media = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 }, audio: false });
      const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
      pc.addTransceiver(media.getVideoTracks()[0], { direction: 'sendonly' });
      // The web UI's publisher has a data channel too (the original's protocol): its m-line is
      // re-offered on a restart like the others.
      this.channel = pc.createDataChannel('control');
      this.pub = await session(pc, `${base}/whip?streamId=${streamId}`);
      return { location: this.pub.location, etag: this.pub.etag };
    },
    async view(base, streamId) {
      const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
      pc.addTransceiver('video', { direction: 'recvonly' });
      pc.ontrack = (e) => {
        const v = document.createElement('video');
        v.muted = true;
        v.autoplay = true;
        v.srcObject = new MediaStream([e.track]);
        document.body.appendChild(v);
        v.play().catch(() => {});
      };
      this.view_ = await session(pc, `${base}/whep?streamId=${streamId}`);
      return { location: this.view_.location, etag: this.view_.etag };
    },
    async framesDecoded() {
      const stats = [...(await this.view_.pc.getStats()).values()];
      return stats.find((r) => r.type === 'inbound-rtp' && r.kind === 'video')?.framesDecoded ?? 0;
    },
    // RFC 9725 §4.3.3 from the client's side: restart, PATCH the new credentials and candidates
    // with If-Match, take the server's new credentials and candidates from the 200's fragment.
    async restart(which) {
      const s = which === 'pub' ? this.pub : this.view_;
      const before = await selectedPair(s.pc);
      const oldServerUfrag = s.pc.remoteDescription.sdp.match(/a=ice-ufrag:(\S+)/)[1];
      s.pc.restartIce();
      await s.pc.setLocalDescription(await s.pc.createOffer({ iceRestart: true }));
      // The gathering state may still read "complete" from the first generation: wait until the
      // description holds candidates of the new one.
      const newUfrag = s.pc.localDescription.sdp.match(/a=ice-ufrag:(\S+)/)[1];
      const deadline = Date.now() + 10_000;
      while (!(s.pc.iceGatheringState === 'complete'
        && fragmentOf(s.pc.localDescription.sdp).includes('a=candidate:')
        && s.pc.localDescription.sdp.includes(`a=ice-ufrag:${newUfrag}`))) {
        if (Date.now() > deadline) throw new Error('no candidates gathered for the restart');
        await new Promise((resolve) => { setTimeout(resolve, 50); });
      }
      const local = s.pc.localDescription.sdp;
      const res = await fetch(s.location, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/trickle-ice-sdpfrag', 'If-Match': s.etag },
        body: fragmentOf(local),
      });
      const body = await res.text();
      if (res.status !== 200) throw new Error(`PATCH ${s.location}: ${res.status} ${body}`);
      const etag = res.headers.get('ETag');
      const ufrag = body.match(/a=ice-ufrag:(\S+)/)[1];
      const pwd = body.match(/a=ice-pwd:(\S+)/)[1];
      const candidates = body.split('\r\n').filter((l) => l.startsWith('a=candidate:'));
      const lines = s.pc.remoteDescription.sdp.split('\r\n')
        .filter((l) => !l.startsWith('a=candidate:') && l !== 'a=end-of-candidates')
        .map((l) => l.replace(/^a=ice-ufrag:.*/, `a=ice-ufrag:${ufrag}`).replace(/^a=ice-pwd:.*/, `a=ice-pwd:${pwd}`));
      const firstM = lines.findIndex((l) => l.startsWith('m='));
      let next = lines.findIndex((l, i) => i > firstM && l.startsWith('m='));
      if (next < 0) next = lines[lines.length - 1] === '' ? lines.length - 1 : lines.length;
      lines.splice(next, 0, ...candidates, 'a=end-of-candidates');
      await s.pc.setRemoteDescription({ type: 'answer', sdp: lines.join('\r\n') });
      const oldEtag = s.etag;
      s.etag = etag;
      const localUfrag = local.match(/a=ice-ufrag:(\S+)/)[1];
      return {
        oldEtag, etag, contentType: res.headers.get('Content-Type'), serverUfrag: ufrag, oldServerUfrag, localUfrag, before, body,
      };
    },
    async pair(which) {
      return selectedPair((which === 'pub' ? this.pub : this.view_).pc);
    },
    async patchStatus(which, ifMatch) {
      const s = which === 'pub' ? this.pub : this.view_;
      const res = await fetch(s.location, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/trickle-ice-sdpfrag', 'If-Match': ifMatch },
        body: fragmentOf(s.pc.localDescription.sdp),
      });
      return { status: res.status, etag: res.headers.get('ETag') };
    },
  };
}

describe('ICE restart from Chromium', { timeout: 150_000 }, () => {
  const env = suite();
  let origin;
  let page;
  const consoleLines = [];

  before(async () => {
    origin = await startStaticServer();
    page = await env.browser.context.newPage();
    page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
    // The suite adds this page's console to a failure, as it does for the pages it opens.
    env.uis.push({ messages: consoleLines });
    // Any document of that origin will do (a stylesheet): the page runs only installClient.
    await page.goto(`${origin.base}/style.css`);
    await page.evaluate(installClient);
  }, { timeout: 40_000 });

  after(async () => {
    await origin?.close();
  });

  test('publisher and viewer restart ICE mid-stream; frames keep coming', async () => env.withContext(async () => {
    const base = env.server.base;
    const pub = await page.evaluate(([b]) => window.ice.publish(b, 'restart'), [base]);
    assert.match(pub.etag ?? '', /^"[0-9a-f]{32}"$/, 'the WHIP 201 carries a strong ETag, readable cross-origin');
    const view = await page.evaluate(([b]) => window.ice.view(b, 'restart'), [base]);
    assert.match(view.etag ?? '', /^"[0-9a-f]{32}"$/, 'the WHEP 201 carries a strong ETag');
    const frames = () => page.evaluate(() => window.ice.framesDecoded());
    let seen = await until('the viewer decoding 30 frames', frames, (n) => n >= 30, { timeout: 30_000 });

    for (const which of ['pub', 'view']) {
      const r = await page.evaluate(([w]) => window.ice.restart(w), [which]);
      assert.equal(r.contentType, 'application/trickle-ice-sdpfrag', `${which}: 200 fragment`);
      assert.match(r.etag ?? '', /^"[0-9a-f]{32}"$/, `${which}: a new strong ETag`);
      assert.notEqual(r.etag, r.oldEtag, `${which}: the ETag changes with the ICE session`);
      // New server credentials too (RFC 8839 §4.4.1.1.2): webrtcbin's own answer would repeat the
      // old ones (GSTREAMER-NOTES G17), which Chromium happens to accept.
      assert.notEqual(r.serverUfrag, r.oldServerUfrag, `${which}: new server ice-ufrag`);
      // Chromium moves to a pair of the new ICE generation: the server answered its checks on the
      // new ICE session.
      const pair = await until(`${which}: a selected pair of the new ICE generation`,
        () => page.evaluate(([w]) => window.ice.pair(w), [which]),
        (p) => ['connected', 'completed'].includes(p.state)
          && (p.localUfrag !== null ? p.localUfrag === r.localUfrag : p.pairChanges > r.before.pairChanges),
        { timeout: 20_000 });
      assert.ok(pair, `${which}: restarted`);
      // The old ICE session's tag is stale now; the new one is current.
      assert.equal((await page.evaluate(([w, t]) => window.ice.patchStatus(w, t), [which, r.oldEtag])).status, 412);
      const ok = await page.evaluate(([w, t]) => window.ice.patchStatus(w, t), [which, r.etag]);
      assert.deepEqual(ok, { status: 204, etag: null }, `${which}: a trickle on the new ICE session`);
      // Frames keep coming through the restart.
      const target = seen + 30;
      seen = await until(`${which}: the viewer decoding 30 more frames after the restart (from ${seen})`,
        frames, (n) => n >= target, { timeout: 20_000 });
    }
    assert.deepEqual(consoleLines.filter((l) => l.startsWith('pageerror')), [], 'page errors');
  }));
});
