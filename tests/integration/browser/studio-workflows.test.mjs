// The studio's workflow panel, clicked through as a user would in headless Chromium: upload a
// ComfyUI API-format file with an invert node, publish the test pattern, see the output's pixels
// inverted; switch the workflow while live (a named one, then an upload) and see the output
// change while the publisher stays the same WHIP session; files the page or the server refuse
// (not JSON, a UI-format export, an input out of range) are explained per node and input, and
// nothing is published.
//
//   node --test tests/integration/browser/studio-workflows.test.mjs   (env COMFYSTREAM_BIN)

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getJson, hook, screenshot, stats, suite, until } from './harness.mjs';
import {
  expectBlocks, fixture, inverted, openStudio, publishAndView, unchanged, upload, workflowPanel,
} from './studio-steps.mjs';

describe('studio: workflows', { timeout: 180_000 }, () => {
  const env = suite();

  // The publisher entries /whip-stats lists for a stream.
  const publishersOf = async (streamId) => Object.values(await getJson(env.server, '/whip-stats'))
    .filter((p) => p.stream_id === streamId);

  test('upload an invert workflow, publish the pattern: inverted; switch live twice on one WHIP session', { timeout: 90_000 }, async (t) => env.withContext(async () => {
    const streamId = 'studio-upload';
    const ui = await openStudio(env, 'upload', streamId);
    const { page } = ui;

    const chosen = await upload(page, ['invert.json'], ['valid']);
    assert.match(chosen.current, /uploaded workflow invert\.json/, `the panel names the file: ${JSON.stringify(chosen)}`);
    assert.deepEqual(chosen.errors, [], 'no errors for a good file');
    t.diagnostic(`after upload: ${chosen.status}`);

    await publishAndView(ui, { streamId });
    await expectBlocks(ui, 'inverted by the uploaded workflow', inverted);
    const before = (await stats(ui)).publisher.location;
    assert.match(before ?? '', /^\/whip\/[0-9a-f]{32}$/, 'WHIP Location');
    const [entry] = await publishersOf(streamId);
    assert.ok(entry, '/whip-stats lists the publisher');

    // A named workflow while live: POST /prompt, no new WHIP session.
    await page.selectOption('#workflow', 'passthrough');
    const named = await until('the panel to say the switch applied', () => workflowPanel(page),
      (p) => p.state === 'applied' || p.state === 'refused');
    assert.equal(named.state, 'applied', `switched to passthrough: ${JSON.stringify(named)}`);
    await expectBlocks(ui, 'back to the pattern (passthrough)', unchanged);
    assert.equal((await stats(ui)).publisher.location, before, 'same WHIP session after the named switch');

    // An upload while live.
    const again = await upload(page, ['invert.json'], ['applied', 'refused']);
    assert.equal(again.state, 'applied', `switched to the upload: ${JSON.stringify(again)}`);
    await expectBlocks(ui, 'inverted again (uploaded while live)', inverted);
    const after = await stats(ui);
    assert.equal(after.publisher.location, before, 'same WHIP session after the upload');
    assert.equal(after.publisher.connectionState, 'connected', 'the publisher stayed connected');
    assert.equal((await publishersOf(streamId)).length, 1, 'one publisher on the stream all along');

    // A refused file while live: the running workflow continues.
    const refused = await upload(page, ['blur-radius-zero.json'], ['refused']);
    assert.ok(refused.errors.some((e) => e === 'Node 4 (ImageBlur), input blur_radius: Value 0 smaller than min of 1'),
      `the refusal per node and input: ${JSON.stringify(refused.errors)}`);
    await expectBlocks(ui, 'still inverted after a refused switch', inverted);
    assert.match((await workflowPanel(page)).current, /invert\.json/, 'the running workflow is still the one shown');

    await page.click('#unview');
    await page.click('#unpublish');
    assert.deepEqual(ui.errors, [], 'page errors');
    await page.close();
  }));

  test('an out-of-range input: the error per node and input, and Publish publishes nothing', { timeout: 60_000 }, async () => env.withContext(async () => {
    const streamId = 'studio-invalid';
    const ui = await openStudio(env, 'invalid', streamId);
    const { page } = ui;
    const sentence = 'Node 4 (ImageBlur), input blur_radius: Value 0 smaller than min of 1';

    // With POST /workflows/validate the panel says it at once; without it, at Publish.
    await page.setInputFiles('#workflow-files', fixture('blur-radius-zero.json'));
    await until('the panel to settle', () => workflowPanel(page), (p) => p.state === 'invalid' || p.state === 'valid');
    await page.fill('#stream-id', streamId);
    await page.selectOption('#source', 'pattern');
    await page.click('#publish');
    const shown = await until('the per-node error', () => workflowPanel(page),
      (p) => p.errors.includes(sentence) && p.state === 'invalid');
    assert.ok(shown);
    const box = await page.evaluate(() => ({
      hidden: document.getElementById('error').hidden, text: document.getElementById('error-text').textContent,
    }));
    assert.equal(box.hidden, false, 'the page shows an error');
    assert.match(box.text, /blur_radius/, `the error names the input: ${box.text}`);
    const s = await hook(page, 'stats');
    assert.equal(s.publisher, null, 'no publisher session');
    assert.deepEqual(await publishersOf(streamId), [], 'the server has no publisher on the stream');
    await screenshot(page, 'studio-workflow-error');
    await page.close();
  }));

  test('files that are not API-format workflows are named as such', { timeout: 30_000 }, async () => env.withContext(async () => {
    const ui = await openStudio(env, 'formats', 'studio-formats');
    const { page } = ui;
    const ui1 = await upload(page, ['ui-format.json'], ['invalid']);
    assert.match(ui1.errors.join('\n'), /ui-format\.json is not an API-format workflow: it is a ComfyUI UI-format export/,
      `UI-format export: ${JSON.stringify(ui1.errors)}`);
    // Publish says why and publishes nothing.
    await page.fill('#stream-id', 'studio-formats');
    await page.selectOption('#source', 'pattern');
    await page.click('#publish');
    const box = await until('the error box', () => page.evaluate(() => !document.getElementById('error').hidden
      && document.getElementById('error-text').textContent), Boolean, { timeout: 10_000 });
    assert.match(box, /ui-format\.json is not an API-format workflow/, box);
    assert.deepEqual(await publishersOf('studio-formats'), [], 'nothing published');
    const notJson = await upload(page, ['not-json.json'], ['invalid']);
    assert.match(notJson.errors.join('\n'), /not-json\.json is not JSON/, `not JSON: ${JSON.stringify(notJson.errors)}`);
    // Two good files are one list of two workflows.
    const two = await upload(page, ['invert.json', 'adjust-invert.json'], ['valid']);
    assert.match(two.current, /2 files.*\(2 workflows\)/, `two files: ${JSON.stringify(two)}`);
    assert.deepEqual(ui.errors, [], 'page errors');
    await page.close();
  }));
});
