// What the page publishes: a camera letterboxed onto a canvas of the chosen size (as the
// original's webcam.tsx: black bars, never stretched), or the built-in test pattern, plus a
// microphone, a test tone or no audio. Off-document canvas and video elements only; no page DOM.
// Each start*() resolves to {stream, width, height, stop()}.

// Solid blocks of known colours (the integration tests check the workflow on them), a spinning
// clock hand, a frame counter, the wall-clock time and a moving bar. Block coordinates are
// fractions of the frame size. The colours are far from mid-grey in every channel (so 255 - c is
// far from c) and change little between BT.601 and BT.709 coding.
export const pattern = Object.freeze({
  background: [24, 28, 40],
  blocks: [
    { name: 'left', x: 0.04, y: 0.06, w: 0.28, h: 0.40, rgb: [230, 190, 65] },
    { name: 'right', x: 0.68, y: 0.06, w: 0.28, h: 0.40, rgb: [20, 65, 190] },
  ],
});

const css = ([r, g, b]) => `rgb(${r},${g},${b})`;

function drawPattern(ctx, width, height, t, frame) {
  ctx.fillStyle = css(pattern.background);
  ctx.fillRect(0, 0, width, height);
  for (const b of pattern.blocks) {
    ctx.fillStyle = css(b.rgb);
    ctx.fillRect(b.x * width, b.y * height, b.w * width, b.h * height);
  }
  // Clock between the blocks: one turn every 2 s.
  const cx = width / 2, cy = height * 0.26, r = Math.min(width, height) * 0.17;
  const a = (t / 2000) * 2 * Math.PI;
  ctx.strokeStyle = '#fff';
  ctx.lineWidth = Math.max(2, r * 0.08);
  ctx.beginPath();
  ctx.arc(cx, cy, r, 0, 2 * Math.PI);
  ctx.moveTo(cx, cy);
  ctx.lineTo(cx + r * 0.9 * Math.sin(a), cy - r * 0.9 * Math.cos(a));
  ctx.stroke();
  // Frame counter and wall-clock time.
  ctx.fillStyle = '#fff';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.font = `bold ${Math.round(height * 0.13)}px monospace`;
  ctx.fillText(`#${String(frame).padStart(6, '0')}`, width / 2, height * 0.61);
  ctx.font = `${Math.round(height * 0.08)}px monospace`;
  ctx.fillText(new Date().toISOString().slice(11, 23), width / 2, height * 0.76);
  // A bar crossing the bottom every 3 s.
  const barW = width * 0.1;
  ctx.fillRect(((t / 3000) % 1) * (width - barW), height * 0.87, barW, height * 0.08);
}

// The largest rectangle of the source's aspect ratio inside width×height, centred.
export function letterbox(srcW, srcH, width, height) {
  if (!srcW || !srcH) return { x: 0, y: 0, w: width, h: height };
  const scale = Math.min(width / srcW, height / srcH);
  const w = Math.round(srcW * scale);
  const h = Math.round(srcH * scale);
  return { x: Math.floor((width - w) / 2), y: Math.floor((height - h) / 2), w, h };
}

// A quiet 660 Hz beep at each full second, so audio and video can be matched by ear.
function startTone() {
  const audioCtx = new AudioContext();
  const osc = audioCtx.createOscillator();
  const gain = audioCtx.createGain();
  gain.gain.value = 0;
  osc.frequency.value = 660;
  const dest = audioCtx.createMediaStreamDestination();
  osc.connect(gain).connect(dest);
  osc.start();
  audioCtx.resume().catch(() => {});
  return {
    track: dest.stream.getAudioTracks()[0],
    beep() {
      const now = audioCtx.currentTime;
      gain.gain.setValueAtTime(0.08, now);
      gain.gain.setValueAtTime(0, now + 0.08);
    },
    stop: () => audioCtx.close().catch(() => {}),
  };
}

// video: 'camera' (the default one), {deviceId}, 'pattern' or 'none';
// audio: 'default', {deviceId}, 'tone' or 'none'. width/height: the published size; fps.
export async function startCapture({ video, audio, width, height, fps }) {
  if (video === 'none' && audio === 'none') throw new Error('choose a video or an audio source to publish');
  const constraints = {};
  if (video === 'camera' || video?.deviceId) {
    constraints.video = {
      ...(video?.deviceId ? { deviceId: { exact: video.deviceId } } : {}),
      width: { ideal: width }, height: { ideal: height }, frameRate: { ideal: fps },
      // The camera's own picture, uncropped: the letterbox below fits it into the chosen size
      // (a browser would otherwise crop the camera to the asked aspect ratio).
      resizeMode: 'none',
    };
  }
  if (audio === 'default' || audio?.deviceId) {
    constraints.audio = audio?.deviceId ? { deviceId: { exact: audio.deviceId } } : true;
  }
  const device = constraints.video || constraints.audio
    ? await navigator.mediaDevices.getUserMedia(constraints) : null;

  const stops = [() => device?.getTracks().forEach((tr) => tr.stop())];
  const out = new MediaStream();
  let tone = null;
  if (audio === 'tone') {
    tone = startTone();
    stops.push(tone.stop);
    out.addTrack(tone.track);
  }
  for (const track of device?.getAudioTracks() ?? []) out.addTrack(track);

  let camera = null;
  if (constraints.video) {
    // The camera plays in an off-document <video>, drawn onto the canvas each tick.
    camera = document.createElement('video');
    camera.muted = true;
    camera.playsInline = true;
    camera.srcObject = new MediaStream(device.getVideoTracks());
    await camera.play();
  }
  const cameraLabel = device?.getVideoTracks()[0]?.label ?? null;

  if (video !== 'none') {
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext('2d', { alpha: false });
    const t0 = performance.now();
    let frame = 0;
    let lastSecond = -1;
    const draw = () => {
      const t = performance.now() - t0;
      if (camera) {
        ctx.fillStyle = '#000';
        ctx.fillRect(0, 0, width, height);
        const r = letterbox(camera.videoWidth, camera.videoHeight, width, height);
        if (camera.videoWidth) ctx.drawImage(camera, r.x, r.y, r.w, r.h);
      } else {
        drawPattern(ctx, width, height, t, frame);
      }
      const second = Math.floor(t / 1000);
      if (tone && second !== lastSecond) tone.beep();
      lastSecond = second;
      frame++;
    };
    draw();
    // A timer, not requestAnimationFrame: rAF stops in a background tab, and a publisher keeps
    // publishing while the user looks at another tab.
    const timer = setInterval(draw, 1000 / fps);
    stops.push(() => clearInterval(timer));
    const canvasStream = canvas.captureStream(fps);
    for (const track of canvasStream.getVideoTracks()) {
      out.addTrack(track);
      stops.push(() => track.stop());
    }
  } else if (tone) {
    const timer = setInterval(() => tone.beep(), 1000);
    stops.push(() => clearInterval(timer));
  }

  return {
    stream: out,
    width: video === 'none' ? 0 : width,
    height: video === 'none' ? 0 : height,
    cameraLabel,
    cameraWidth: camera?.videoWidth ?? 0,
    cameraHeight: camera?.videoHeight ?? 0,
    stop() {
      for (const stop of stops) {
        try { stop(); } catch { /* already stopped */ }
      }
      if (camera) camera.srcObject = null;
    },
  };
}

// The media devices by kind, asking for permission once when labels are hidden (a browser shows
// labels and ids only after getUserMedia was granted on the origin).
export async function listDevices({ ask = true } = {}) {
  let all = await navigator.mediaDevices.enumerateDevices();
  if (ask && all.some((d) => (d.kind === 'videoinput' || d.kind === 'audioinput') && !d.label)) {
    try {
      const s = await navigator.mediaDevices.getUserMedia({ video: true, audio: true }).catch(
        () => navigator.mediaDevices.getUserMedia({ video: true }).catch(
          () => navigator.mediaDevices.getUserMedia({ audio: true })));
      s.getTracks().forEach((t) => t.stop());
      all = await navigator.mediaDevices.enumerateDevices();
    } catch { /* refused or no device: the pickers keep their default entries */ }
  }
  const pick = (kind) => all.filter((d) => d.kind === kind && d.deviceId && d.deviceId !== 'default')
    .map((d, i) => ({ deviceId: d.deviceId, label: d.label || `${kind === 'videoinput' ? 'camera' : 'microphone'} ${i + 1}` }));
  return { cameras: pick('videoinput'), mics: pick('audioinput') };
}
