// Video codec choice for a sending transceiver (setCodecPreferences). The server takes H264
// only with packetization-mode=1 (constrained baseline first), or VP8. No DOM.

function h264Rank(codec) {
  const fmtp = codec.sdpFmtpLine ?? '';
  if (!/packetization-mode=1/.test(fmtp)) return -1;
  const profile = (/profile-level-id=([0-9a-f]{6})/i.exec(fmtp)?.[1] ?? '').toLowerCase();
  return profile.startsWith('42e0') ? 0 : profile.startsWith('42') ? 1 : 2;
}

function codecList(caps, name) {
  const all = caps?.codecs ?? [];
  let list = all.filter((c) => c.mimeType.toLowerCase() === `video/${name.toLowerCase()}`);
  if (name === 'H264') {
    list = list.filter((c) => h264Rank(c) >= 0).sort((a, b) => h264Rank(a) - h264Rank(b));
  }
  if (!list.length) return [];
  return [...list, ...all.filter((c) => c.mimeType.toLowerCase() === 'video/rtx')];
}

// name: 'auto' (the browser's order), 'H264' or 'VP8'. Throws when the browser cannot send it.
export function preferCodec(transceiver, name) {
  if (!name || name === 'auto') return;
  if (!('setCodecPreferences' in RTCRtpTransceiver.prototype)) {
    throw new Error('this browser cannot choose the video codec (no RTCRtpTransceiver.setCodecPreferences)');
  }
  // Browsers differ on whether a sending transceiver's preferences are checked against the send
  // or the receive capabilities: try send first, then receive.
  let lastError = null;
  for (const caps of [RTCRtpSender.getCapabilities('video'), RTCRtpReceiver.getCapabilities('video')]) {
    const list = codecList(caps, name);
    if (!list.length) continue;
    try {
      transceiver.setCodecPreferences(list);
      return;
    } catch (e) {
      lastError = e;
    }
  }
  throw new Error(`this browser cannot send ${name}${lastError ? ': ' + lastError.message : ''}`);
}
