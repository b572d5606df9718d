// Summaries of RTCPeerConnection.getStats() for a publisher and a viewer: the figures the page
// shows and the test hook returns (window.comfystream.stats()). No DOM.

function rtpStats(report, type, kind) {
  let rtp = null;
  report.forEach((s) => { if (s.type === type && s.kind === kind && !rtp) rtp = s; });
  if (!rtp) return null;
  const codec = rtp.codecId ? report.get(rtp.codecId) : null;
  return { ...rtp, codec: codec ? codec.mimeType.split('/')[1] : null };
}

export async function publisherStats(pc) {
  const report = await pc.getStats();
  const v = rtpStats(report, 'outbound-rtp', 'video');
  const a = rtpStats(report, 'outbound-rtp', 'audio');
  return {
    connectionState: pc.connectionState,
    codec: v?.codec ?? null,
    framesEncoded: v?.framesEncoded ?? 0,
    framesSent: v?.framesSent ?? 0,
    frameWidth: v?.frameWidth ?? 0,
    frameHeight: v?.frameHeight ?? 0,
    framesPerSecond: v?.framesPerSecond ?? 0,
    encoderImplementation: v?.encoderImplementation ?? null,
    qualityLimitationReason: v?.qualityLimitationReason ?? null,
    bytesSent: v?.bytesSent ?? 0,
    audioCodec: a?.codec ?? null,
    audioPacketsSent: a?.packetsSent ?? 0,
  };
}

export async function viewerStats(pc) {
  const report = await pc.getStats();
  const v = rtpStats(report, 'inbound-rtp', 'video');
  const a = rtpStats(report, 'inbound-rtp', 'audio');
  return {
    connectionState: pc.connectionState,
    codec: v?.codec ?? null,
    framesDecoded: v?.framesDecoded ?? 0,
    framesReceived: v?.framesReceived ?? 0,
    keyFramesDecoded: v?.keyFramesDecoded ?? 0,
    frameWidth: v?.frameWidth ?? 0,
    frameHeight: v?.frameHeight ?? 0,
    framesPerSecond: v?.framesPerSecond ?? 0,
    decoderImplementation: v?.decoderImplementation ?? null,
    packetsLost: v?.packetsLost ?? 0,
    bytesReceived: v?.bytesReceived ?? 0,
    audioCodec: a?.codec ?? null,
    audioPacketsReceived: a?.packetsReceived ?? 0,
  };
}
