// The studio's node controls, clicked through as a user would in headless Chromium: upload a
// workflow (ImageColorAdjust → ImageInvert), publish the test pattern, open two control panels,
// pick the node and an input in each, type values, and see the output change: brightness from one
// panel, then saturation from the other on top of it (each update_prompts carries the full
// prompts with both edits); a value out of the input's range is refused in the page and nothing
// changes. Before going live, the nodes come from POST /workflows/validate and an edit is kept
// for the publish. A value the node takes but the server's limits refuse is shown as the
// server's refusal per node and input. A combo input (a select of its options) switches the channel a mask is taken
// from. A screenshot of the live page with the panels open.
//
//   node --test tests/integration/browser/studio-controls.test.mjs   (env COMFYSTREAM_BIN)

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { screenshot, stats, suite, until } from './harness.mjs';
import { expectBlocks, inverted, openStudio, publishAndView, upload } from './studio-steps.mjs';

// One control panel as the user reads it.
const panelState = (page, n) => page.evaluate((id) => {
  const el = document.querySelector(`.control-panel[data-panel="${id}"]`);
  if (!el) return null;
  const opts = (sel) => [...el.querySelector(sel).options].map((o) => o.value);
  const num = el.querySelector('.cp-number');
  return {
    nodes: opts('.cp-node'),
    inputs: opts('.cp-input'),
    node: el.querySelector('.cp-node').value,
    input: el.querySelector('.cp-input').value,
    number: num ? { value: num.value, min: num.min, max: num.max, step: num.step } : null,
    slider: !!el.querySelector('.cp-range'),
    state: el.querySelector('.cp-status').dataset.state,
    status: el.querySelector('.cp-status').textContent,
  };
}, n);

const luma = ([r, g, b]) => 0.299 * r + 0.587 * g + 0.114 * b;

describe('studio: node controls', { timeout: 150_000 }, () => {
  const env = suite();

  test('two panels change brightness then saturation live; out of range is refused in the page', { timeout: 120_000 }, async (t) => env.withContext(async () => {
    const streamId = 'studio-controls';
    const ui = await openStudio(env, 'controls', streamId);
    const { page } = ui;
    await upload(page, ['adjust-invert.json'], ['valid']);
    await publishAndView(ui, { streamId });
    await expectBlocks(ui, 'inverted (brightness 1)', inverted);

    await page.click('#controls-add');
    await page.click('#controls-add');
    assert.equal(await page.locator('.control-panel').count(), 2, 'two panels');
    const p1 = '.control-panel[data-panel="1"]';
    const p2 = '.control-panel[data-panel="2"]';

    // The nodes come from get_nodes once the control channel is open.
    const first = await until('panel 1 to list the workflow\'s tunable node', () => panelState(page, 1),
      (s) => s?.nodes.includes('2'), { timeout: 10_000 });
    assert.deepEqual(first.nodes, ['1', '2'], 'LoadTensor (timeout_seconds) and ImageColorAdjust; no node without widgets');
    await page.selectOption(`${p1} .cp-node`, '2');
    await page.selectOption(`${p1} .cp-input`, 'brightness');
    const widget = await panelState(page, 1);
    assert.deepEqual(widget.inputs, ['brightness', 'contrast', 'saturation'], 'ImageColorAdjust\'s inputs');
    assert.deepEqual({ value: Number(widget.number.value), min: widget.number.min, max: widget.number.max },
      { value: 1, min: '0', max: '5' }, 'a number widget with the input\'s value and range');
    assert.ok(widget.slider, 'a slider beside the number (finite range)');

    await page.fill(`${p1} .cp-number`, '0.5');
    const applied = await until('panel 1 to report the change applied', () => panelState(page, 1),
      (s) => s.state === 'ok' || s.state === 'error');
    assert.equal(applied.state, 'ok', `brightness 0.5: ${applied.status}`);
    assert.match(applied.status, /applied live/);
    await expectBlocks(ui, 'inverted at half brightness', (rgb) => rgb.map((c) => 255 - c * 0.5));

    await page.selectOption(`${p2} .cp-node`, '2');
    await page.selectOption(`${p2} .cp-input`, 'saturation');
    await page.fill(`${p2} .cp-number`, '0');
    const grey = await until('panel 2 to report the change applied', () => panelState(page, 2),
      (s) => s.state === 'ok' || s.state === 'error');
    assert.equal(grey.state, 'ok', `saturation 0: ${grey.status}`);
    // Both edits: half brightness, then grey (the luma of the half-bright colour), inverted.
    await expectBlocks(ui, 'grey from half brightness (both panels\' edits)',
      (rgb) => [0, 1, 2].map(() => 255 - luma(rgb.map((c) => c * 0.5))));

    // Out of range: refused in the page, nothing sent.
    await page.fill(`${p1} .cp-number`, '7');
    const refused = await until('panel 1 to refuse 7', () => panelState(page, 1), (s) => s.state === 'error');
    assert.match(refused.status, /brightness: 7 is bigger than its max of 5/, refused.status);
    t.diagnostic(`refused in the page: ${refused.status}`);
    await expectBlocks(ui, 'unchanged after the refused value',
      (rgb) => [0, 1, 2].map(() => 255 - luma(rgb.map((c) => c * 0.5))));

    await screenshot(page, 'studio-live-panels');

    await page.click(`${p2} .cp-remove`);
    assert.equal(await page.locator('.control-panel').count(), 1, 'one panel left after removing one');
    await page.click('#unview');
    await page.click('#unpublish');
    assert.deepEqual(ui.errors, [], 'page errors');
    await page.close();
  }));

  test('before going live: the validated nodes, an edit kept for the publish', { timeout: 60_000 }, async () => env.withContext(async () => {
    const streamId = 'studio-prelive';
    const ui = await openStudio(env, 'prelive', streamId);
    const { page } = ui;
    await upload(page, ['adjust-invert.json'], ['valid']);
    await page.click('#controls-add');
    const p1 = '.control-panel[data-panel="1"]';
    // POST /workflows/validate answered with the nodes get_nodes would describe.
    await until('the panel to list ImageColorAdjust before publishing', () => panelState(page, 1),
      (s) => s?.nodes.includes('2'), { timeout: 10_000 });
    await page.selectOption(`${p1} .cp-node`, '2');
    await page.selectOption(`${p1} .cp-input`, 'brightness');
    await page.fill(`${p1} .cp-number`, '0.5');
    const kept = await until('the edit to be kept', () => panelState(page, 1), (s) => s.state === 'ok' || s.state === 'error');
    assert.match(kept.status, /brightness = 0\.5: used when you publish/, kept.status);
    assert.match(await page.textContent('#workflow-current'), /adjust-invert\.json \(edited\)/, 'the workflow panel names the edit');
    await publishAndView(ui, { streamId });
    await expectBlocks(ui, 'inverted at half brightness from the start', (rgb) => rgb.map((c) => 255 - c * 0.5));
    await page.click('#unview');
    await page.click('#unpublish');
    assert.deepEqual(ui.errors, [], 'page errors');
    await page.close();
  }));

  test('a value the node takes but the server refuses: its refusal per node and input', { timeout: 60_000 }, async () => env.withContext(async () => {
    const streamId = 'studio-refusal';
    const ui = await openStudio(env, 'refusal', streamId);
    const { page } = ui;
    await upload(page, ['scale.json'], ['valid']);
    await publishAndView(ui, { streamId });
    await page.click('#controls-add');
    const p1 = '.control-panel[data-panel="1"]';
    await until('the panel to list ImageScale', () => panelState(page, 1), (s) => s?.nodes.includes('2'), { timeout: 10_000 });
    await page.selectOption(`${p1} .cp-node`, '2');
    await page.selectOption(`${p1} .cp-input`, 'width');
    // ImageScale takes widths up to 16384; this server's --max-image-size is 4096.
    await page.fill(`${p1} .cp-number`, '5000');
    const refused = await until('the server\'s refusal', () => panelState(page, 1), (s) => s.state === 'error' || s.state === 'ok');
    assert.equal(refused.state, 'error', refused.status);
    assert.match(refused.status, /^Refused: Node 2 \(ImageScale\), input width: /, refused.status);
    const { viewer } = await stats(ui);
    assert.deepEqual([viewer.frameWidth, viewer.frameHeight], [320, 240], 'the running workflow continues');
    await page.click('#unview');
    await page.click('#unpublish');
    assert.deepEqual(ui.errors, [], 'page errors');
    await page.close();
  }));

  test('a combo input: ImageToMask\'s channel from red to blue', { timeout: 60_000 }, async () => env.withContext(async () => {
    const streamId = 'studio-combo';
    const ui = await openStudio(env, 'combo', streamId);
    const { page } = ui;
    await upload(page, ['channel-mask.json'], ['valid']);
    await publishAndView(ui, { streamId });
    const grey = (k) => (rgb) => [rgb[k], rgb[k], rgb[k]];
    await expectBlocks(ui, 'the red channel as grey', grey(0));

    await page.click('#controls-add');
    const p1 = '.control-panel[data-panel="1"]';
    await until('the panel to list ImageToMask', () => panelState(page, 1), (s) => s?.nodes.includes('2'), { timeout: 10_000 });
    await page.selectOption(`${p1} .cp-node`, '2');
    await page.selectOption(`${p1} .cp-input`, 'channel');
    const options = await page.$$eval(`${p1} .cp-combo option`, (os) => os.map((o) => o.value));
    assert.deepEqual(options, ['red', 'green', 'blue', 'alpha'], 'a select of the combo\'s options');
    assert.equal(await page.inputValue(`${p1} .cp-combo`), 'red', 'the workflow\'s value selected');
    await page.selectOption(`${p1} .cp-combo`, 'blue');
    await expectBlocks(ui, 'the blue channel as grey', grey(2));
    assert.equal((await panelState(page, 1)).state, 'ok');
    await page.click('#unview');
    await page.click('#unpublish');
    assert.deepEqual(ui.errors, [], 'page errors');
    await page.close();
  }));
});
