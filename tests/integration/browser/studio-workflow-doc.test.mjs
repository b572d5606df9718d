// web/lib/workflow-doc.js without a browser (it has no DOM): the files a user may upload, the
// sentences a refusal becomes, the widgets of a nodes_info reply, the range checks the controls
// make before sending, and the full prompts list an edit sends.
//
//   node --test tests/integration/browser/studio-workflow-doc.test.mjs

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  MAX_PROMPTS, WorkflowFileError, checkValue, describeRefusal, parseWorkflowText, readWorkflowFiles,
  widgetModel, withInput,
} from '../../../web/lib/workflow-doc.js';
import { fixture } from './studio-steps.mjs';

const file = (name, text = fs.readFileSync(fixture(name), 'utf8')) => ({ name, size: text.length, text: async () => text });
const refusal = (name) => assert.throws(() => parseWorkflowText(fs.readFileSync(fixture(name), 'utf8'), name), WorkflowFileError);

describe('workflow-doc', () => {
  test('reads the shapes the server takes', () => {
    const one = JSON.parse(fs.readFileSync(fixture('invert.json'), 'utf8'));
    assert.deepEqual(parseWorkflowText(JSON.stringify(one)), [one], 'one prompt');
    assert.deepEqual(parseWorkflowText(JSON.stringify([one, one])), [one, one], 'a list');
    assert.deepEqual(parseWorkflowText(JSON.stringify({ prompts: [one] })), [one], '{"prompts": [...]}');
    assert.deepEqual(parseWorkflowText(JSON.stringify({ prompt: one, client_id: 'x' })), [one], 'ComfyUI /prompt body');
    // A node whose id is "prompt" is a node, not a wrapper.
    const odd = { prompt: { class_type: 'LoadTensor', inputs: {} }, 2: { class_type: 'SaveTensor', inputs: { images: ['prompt', 0] } } };
    assert.deepEqual(parseWorkflowText(JSON.stringify(odd)), [odd]);
  });

  test('names what is wrong with a file', () => {
    refusal('ui-format.json');
    assert.throws(() => parseWorkflowText(fs.readFileSync(fixture('ui-format.json'), 'utf8'), 'ui.json'),
      /ui\.json is not an API-format workflow: it is a ComfyUI UI-format export/);
    assert.throws(() => parseWorkflowText('{nope', 'x.json'), /x\.json is not JSON/);
    assert.throws(() => parseWorkflowText('[]', 'x.json'), /x\.json holds an empty list/);
    assert.throws(() => parseWorkflowText('{"1": {"inputs": {}}}', 'x.json'), /its node "1" has no "class_type"/);
    assert.throws(() => parseWorkflowText('[{"1": {"class_type": "A"}}, 5]', 'x.json'), /x\.json \(workflow 2\) is not an API-format workflow/);
  });

  test('several files are one list, bounded', async () => {
    const r = await readWorkflowFiles([file('invert.json'), file('adjust-invert.json')]);
    assert.equal(r.prompts.length, 2);
    assert.deepEqual(r.sources, ['invert.json', 'adjust-invert.json']);
    assert.equal(r.label, '2 files (invert.json, adjust-invert.json)');
    const many = Array.from({ length: MAX_PROMPTS + 1 }, () => file('invert.json'));
    await assert.rejects(readWorkflowFiles(many), /17 workflows in all: the server runs at most 16/);
  });

  test('a refusal becomes one sentence per node and input', () => {
    const body = {
      error: { type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation: …' },
      node_errors: {
        4: { class_type: 'ImageBlur', errors: [{ message: 'Value 0 smaller than min of 1', details: 'blur_radius', extra_info: { input_name: 'blur_radius' } }] },
        2: { class_type: 'ImageColorAdjust', errors: [{ message: 'Failed to convert an input value to a FLOAT value', details: 'brightness, "abc"', extra_info: { input_name: 'brightness' } }] },
      },
    };
    const prompts = [{ 1: { class_type: 'LoadTensor' } }, { 4: { class_type: 'ImageBlur' }, 2: { class_type: 'ImageColorAdjust' } }];
    assert.deepEqual(describeRefusal(body).items.map((i) => i.text), [
      'Node 2 (ImageColorAdjust), input brightness: Failed to convert an input value to a FLOAT value (brightness, "abc")',
      'Node 4 (ImageBlur), input blur_radius: Value 0 smaller than min of 1',
    ]);
    assert.equal(describeRefusal(body, prompts, ['a.json', 'b.json']).items[1].text,
      'Node 4 (ImageBlur) in workflow 2 (b.json), input blur_radius: Value 0 smaller than min of 1');
    assert.deepEqual(describeRefusal({ error: { message: 'missing output' }, node_errors: {} }), { summary: 'missing output', items: [] });
  });

  test('widgets by type, with ranges', () => {
    const model = widgetModel({
      0: {
        3: { class_type: 'ImageFlip', inputs: { flip_method: { type: 'combo', value: ['x-axis: vertically', 'y-axis: horizontally'], min: null, max: null } } },
        2: {
          class_type: 'ImageBlur',
          inputs: {
            blur_radius: { type: 'INT', value: 3, min: 1, max: 31 },
            sigma: { type: 'FLOAT', value: 1, min: 0.1, max: 10 },
          },
        },
        5: { class_type: 'SaveTextTensor', inputs: { data: { type: 'STRING', value: 'hi' }, remove_linebreaks: { type: 'BOOLEAN', value: true } } },
      },
    });
    assert.deepEqual(model[0].nodes.map((n) => n.id), ['2', '3', '5'], 'nodes in id order');
    const [blur, flip, text] = model[0].nodes;
    assert.deepEqual(blur.inputs[0], { name: 'blur_radius', kind: 'int', value: 3, min: 1, max: 31, step: 1 });
    assert.equal(blur.inputs[1].kind, 'float');
    assert.equal(blur.inputs[1].step, 0.01, 'a FLOAT step: a hundredth of the range, as a power of ten');
    assert.deepEqual(flip.inputs[0].options, ['x-axis: vertically', 'y-axis: horizontally']);
    assert.deepEqual(text.inputs.map((w) => w.kind), ['text', 'boolean']);

    assert.equal(checkValue(blur.inputs[0], 0), 'blur_radius: 0 is smaller than its min of 1');
    assert.equal(checkValue(blur.inputs[0], 2.5), 'blur_radius must be a whole number');
    assert.equal(checkValue(blur.inputs[1], 11), 'sigma: 11 is bigger than its max of 10');
    assert.equal(checkValue(blur.inputs[1], 2.5), null);
    assert.match(checkValue(flip.inputs[0], 'z'), /is not one of/);
  });

  test('an edit is a deep copy of the full list with one input changed', () => {
    const prompts = [{ 1: { class_type: 'A', inputs: { v: 1 } } }, { 1: { class_type: 'B', inputs: { v: 2, w: [1, 2] } } }];
    const edited = withInput(prompts, 1, '1', 'v', 5);
    assert.deepEqual(edited, [{ 1: { class_type: 'A', inputs: { v: 1 } } }, { 1: { class_type: 'B', inputs: { v: 5, w: [1, 2] } } }]);
    assert.equal(prompts[1][1].inputs.v, 2, 'the original is untouched');
    assert.notEqual(edited[1][1].inputs.w, prompts[1][1].inputs.w, 'nothing shared');
    assert.throws(() => withInput(prompts, 0, '9', 'v', 1), /workflow 1 has no node 9/);
  });
});
