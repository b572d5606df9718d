// Steps the studio's workflow, control and text tests share: what a user does on the page
// (choose files, fill the set-up, press Publish and View) and what they look at (the workflow
// panel's status and errors, the output's pixels). Not a test itself (no .test.mjs).

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expectFramesFlowing, sampleBlocks, stats, until } from './harness.mjs';

export const fixture = (name) => path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', name);

// A page of the studio on `streamId` (and with `token` in its Token field), opened by a harness
// suite() (which keeps its console) on `server`, by default the suite's.
export function openStudio(env, label, streamId, { server = env.server, token = '' } = {}) {
  const query = new URLSearchParams({ streamId, ...(token ? { token } : {}) });
  return env.newUi(label, { server, url: `${server.base}/?${query}` });
}

// The workflow panel as the user reads it.
export function workflowPanel(page) {
  return page.evaluate(() => ({
    state: document.getElementById('workflow-status').dataset.state,
    status: document.getElementById('workflow-status').textContent,
    current: document.getElementById('workflow-current').textContent,
    errors: [...document.querySelectorAll('#workflow-errors li')].map((li) => li.textContent),
    selected: document.getElementById('workflow').value,
  }));
}

// Chooses files in the upload field and waits for the panel to settle on one of `states` with a
// status naming these files (the panel's status always names what it is about).
export async function upload(page, names, states = ['valid', 'applied']) {
  await page.setInputFiles('#workflow-files', names.map(fixture));
  const label = names.length === 1 ? names[0] : `${names.length} files`;
  return until(`workflow panel to show ${states.join('|')} after uploading ${names.join(', ')}`,
    () => workflowPanel(page), (p) => states.includes(p.state) && p.status.includes(label), { timeout: 20_000 });
}

// Set-up for the test pattern (H264: close colours, see whip-whep.test.mjs), then Publish and
// View by their buttons; resolves once processed frames flow, to the stats.
export async function publishAndView(ui, { streamId, size = '320x240' }) {
  const { page } = ui;
  await page.fill('#stream-id', streamId);
  await page.selectOption('#source', 'pattern');
  await page.selectOption('#mic', 'none');
  await page.selectOption('#codec', 'H264');
  await page.selectOption('#size', size);
  await page.click('#publish');
  await until(`[${ui.label}] publisher connected`, () => stats(ui),
    (s) => s.publisher?.connectionState === 'connected', { timeout: 20_000 });
  await page.click('#view');
  return expectFramesFlowing(ui);
}

// Colour coding (I420, H264) moves a solid block's colour by a few code values; a wrong picture
// (not inverted, another brightness) is off by far more than this in some channel.
export const TOLERANCE = 30;

const close = (got, want) => got.every((c, k) => Math.abs(c - want[k]) <= TOLERANCE);

// Polls the output until every pattern block shows expect(rgb) (within TOLERANCE) in three
// decoded frames in a row; a workflow switch takes effect after its warm-up, so the frames
// before it are not a failure. Resolves to the last samples.
export async function expectBlocks(ui, what, expect, { timeout = 20_000 } = {}) {
  const { blocks } = await ui.page.evaluate(() => window.comfystream.pattern);
  let streak = 0;
  return until(`[${ui.label}] output blocks ${what}`, async () => {
    const samples = await ui.page.evaluate(sampleBlocks, blocks);
    const ok = samples.every((b) => close(b.got, expect(b.rgb)));
    streak = ok ? streak + 1 : 0;
    return { ok: streak >= 3, samples: samples.map((b) => `${b.name}: got rgb(${b.got}), want rgb(${expect(b.rgb).map(Math.round)})`) };
  }, (r) => r.ok, { timeout, interval: 100 });
}

export const inverted = (rgb) => rgb.map((c) => 255 - c);
export const unchanged = (rgb) => rgb;
