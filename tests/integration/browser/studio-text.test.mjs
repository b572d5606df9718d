// The studio's text-output panel in headless Chromium: a workflow whose SaveTextTensor node has a
// literal text (no model needed) sends it on the publisher's data channel with every frame; the
// panel opens by itself, lists it (repeats counted on one row), Copy all puts the texts on the
// clipboard; a control panel's checkbox and text box change what the node sends; Clear empties
// the list.
//
//   node --test tests/integration/browser/studio-text.test.mjs   (env COMFYSTREAM_BIN)

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { suite, until } from './harness.mjs';
import { expectBlocks, inverted, openStudio, publishAndView, upload } from './studio-steps.mjs';

// The panel as the user reads it.
const textPanel = (page) => page.evaluate(() => ({
  open: document.getElementById('text-output').open,
  count: Number(document.getElementById('text-count').textContent),
  rows: [...document.querySelectorAll('#text-list li')].map((li) => ({
    text: li.querySelector('.text-body').textContent, times: li.querySelector('.text-times').textContent,
  })),
  note: document.getElementById('text-note').textContent,
  copyDisabled: document.getElementById('text-copy').disabled,
}));

describe('studio: text outputs', { timeout: 120_000 }, () => {
  const env = suite();

  test('texts appear, are copied, are cleared', { timeout: 90_000 }, async () => env.withContext(async () => {
    const streamId = 'studio-text';
    const ui = await openStudio(env, 'text', streamId);
    const { page } = ui;
    await env.browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.server.base });

    const closed = await textPanel(page);
    assert.equal(closed.open, false, 'the panel is closed before any text');
    assert.equal(closed.copyDisabled, true, 'nothing to copy yet');

    await upload(page, ['text-invert.json'], ['valid']);
    await publishAndView(ui, { streamId });
    await expectBlocks(ui, 'inverted (the image part of the workflow)', inverted);

    const shown = await until('the texts to arrive', () => textPanel(page), (p) => p.count >= 10, { timeout: 15_000 });
    assert.equal(shown.open, true, 'the panel opened by itself on the first text');
    assert.deepEqual(shown.rows.map((r) => r.text), ['hello from comfystream'],
      'one row: the same text each frame (its line break made a space: remove_linebreaks)');
    assert.match(shown.rows[0].times, /^×\d+$/, `the row counts its repeats: ${shown.rows[0].times}`);

    await page.click('#text-copy');
    const copied = await until('the copy to be confirmed', () => textPanel(page), (p) => p.note !== '');
    assert.match(copied.note, /^Copied 1 text\.$/, copied.note);
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), 'hello from comfystream', 'clipboard');

    // The node's inputs from a control panel: the checkbox keeps the line break, the text box
    // changes the text (each a new row once the server runs it).
    await page.click('#controls-add');
    const panel = '.control-panel[data-panel="1"]';
    await until('the panel to list SaveTextTensor', () => page.$$eval(`${panel} .cp-node option`, (os) => os.map((o) => o.value)),
      (ids) => ids.includes('4'), { timeout: 10_000 });
    await page.selectOption(`${panel} .cp-node`, '4');
    await page.selectOption(`${panel} .cp-input`, 'remove_linebreaks');
    assert.equal(await page.isChecked(`${panel} .cp-bool`), true, 'the checkbox shows the workflow\'s value');
    await page.uncheck(`${panel} .cp-bool`);
    await until('the text with its line break', () => textPanel(page),
      (p) => p.rows.at(-1)?.text === 'hello from\ncomfystream', { timeout: 10_000 });
    await page.selectOption(`${panel} .cp-input`, 'data');
    assert.equal(await page.inputValue(`${panel} .cp-text`), 'hello from\ncomfystream', 'a text box with the value');
    await page.fill(`${panel} .cp-text`, 'changed live');
    await until('the new text', () => textPanel(page), (p) => p.rows.at(-1)?.text === 'changed live', { timeout: 10_000 });

    // Clear once the texts stop (a workflow runs on, and sends, with every frame).
    await page.click('#unview');
    await page.click('#unpublish');
    await page.click('#text-clear');
    const cleared = await textPanel(page);
    assert.deepEqual({ count: cleared.count, rows: cleared.rows.length, copyDisabled: cleared.copyDisabled },
      { count: 0, rows: 0, copyDisabled: true }, 'cleared');
    assert.deepEqual(ui.errors, [], 'page errors');
    await page.close();
  }));
});
