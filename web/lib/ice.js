// ICE for the page's peer connections: the servers the user asked for (?ice=), the servers the
// comfystream server offers (its `Link: <…>; rel="ice-server"` headers), and non-trickle gathering
// (the offer is sent once, with every candidate in it). No DOM.

// `?ice=stun:a:3478,turn:b` → [{urls: 'stun:a:3478'}, {urls: 'turn:b'}]. Default: none (host
// candidates are enough on loopback and a LAN; the page never contacts a STUN/TURN server the
// user did not name).
export function iceServersFromParam(value) {
  return (value ?? '').split(',').map((u) => u.trim()).filter(Boolean).map((urls) => ({ urls }));
}

// `Link: <stun:host:3478>; rel="ice-server", <turn:...>; rel="ice-server"; username="u"; ...`
// → [{urls, username?, credential?}]. Other Link relations are skipped.
export function iceServersFromLink(header) {
  const out = [];
  for (const m of (header ?? '').matchAll(/<([^>]*)>((?:\s*;\s*[^;,=\s]+(?:=(?:"[^"]*"|[^;,]*))?)*)/g)) {
    const attrs = {};
    for (const p of m[2].matchAll(/;\s*([^;,=\s]+)(?:=(?:"([^"]*)"|([^;,]*)))?/g)) {
      attrs[p[1].toLowerCase()] = (p[2] ?? p[3] ?? '').trim();
    }
    if (attrs.rel === 'ice-server') {
      out.push({ urls: m[1], username: attrs.username, credential: attrs.credential });
    }
  }
  return out;
}

// Resolves once gathering is complete, or after timeoutMs with what was found so far (onLate is
// told): a network with an unreachable STUN server must not hang the page.
export function iceGatheringComplete(pc, { timeoutMs = 5000, onLate = () => {} } = {}) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const check = () => { if (pc.iceGatheringState === 'complete') finish(); };
    const timer = setTimeout(() => {
      onLate(`ICE gathering still "${pc.iceGatheringState}" after ${timeoutMs} ms; sending the candidates found so far`);
      finish();
    }, timeoutMs);
    function finish() {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    }
    pc.addEventListener('icegatheringstatechange', check);
  });
}

// The complete local offer SDP (all candidates in it).
export async function localOffer(pc, opts) {
  await pc.setLocalDescription(await pc.createOffer());
  await iceGatheringComplete(pc, opts);
  return pc.localDescription.sdp;
}
