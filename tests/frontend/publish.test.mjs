// The publish form's model and validation (frontend/js/publish/form.js, validation.js): specs to form
// values and back, and the field problems that stop a publication before any API call.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { FieldChecks } from '../../frontend/js/forms/checks.js';
import { NO_SOURCE, SPEC_FIELDS, fitsForm, sourceOf, valuesFromSpec } from '../../frontend/js/publish/form.js';
import { marketFromValues, specFromJson, specFromValues } from '../../frontend/js/publish/validation.js';

const example = (name) => JSON.parse(readFileSync(new URL(`../../examples/${name}`, import.meta.url), 'utf8'));
const asText = (values) => Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)]));

// The form's defaults (publish/form.js) as the inputs hold them.
const DEFAULTS = {
  name: 'digits MLP', kind: 'mlp', layers: '16', dataset_name: 'sklearn-digits', eval_fraction: '0.2', seed: '7', steps: '60',
  batch_size: '32', learning_rate: '0.01', optimizer: 'adam', checkpoint_interval: '20', threshold: '0.5',
};
const MARKET = {
  token: '0x0000000000000000000000000000000000000000', symbol: 'ETH', budget: '0.5', replication: '1', collateral: '10',
  apply_window: '60', deadline: '600', strategy: '0x00000000000000000000000000000000000000aa', min_class: '0', min_reputation: '0',
};
const SETTLEMENT = { min_execution_window: 120 };

test('fitsForm: PyTorch classifiers on bundled sets only', () => {
  assert.ok(fitsForm(example('digits-mlp.json')));
  assert.ok(fitsForm(example('audio-tones-cnn.json')));
  for (const name of ['digits-mlp-jax.json', 'text-lora-peft.json', 'image-generation-lora-diffusers.json']) {
    assert.equal(fitsForm(example(name)), false, name);
  }
  const uploaded = example('digits-mlp.json');
  uploaded.dataset.uri = 'ipfs://x';
  assert.equal(fitsForm(uploaded), false);
  assert.equal(fitsForm(null), false);
  assert.equal(fitsForm('spec'), false);
});

test('a template read into the form and back is the same spec (its digest kept)', () => {
  for (const name of ['audio-tones-cnn.json', 'digits-mlp.json']) {
    const spec = example(name);
    const values = valuesFromSpec(spec);
    assert.deepEqual(Object.keys(values), SPEC_FIELDS);
    const checks = new FieldChecks();
    const built = specFromValues(asText(values), sourceOf(spec), checks);
    assert.ok(checks.ok, JSON.stringify(checks.problems));
    const layers = spec.model.kind === 'mlp' ? spec.model.hidden : spec.model.channels;
    assert.deepEqual(built.model, spec.model.kind === 'mlp'
      ? { kind: 'mlp', hidden: layers, channels: [] } : { kind: 'cnn', hidden: [], channels: layers });
    for (const key of ['version', 'name', 'framework', 'dataset', 'training', 'acceptance', 'determinism']) {
      assert.deepEqual(built[key], spec[key], `${name}: ${key}`);
    }
  }
});

test('the digest of the source spec is dropped once another dataset is chosen', () => {
  const spec = example('audio-tones-cnn.json');
  const values = { ...asText(valuesFromSpec(spec)), dataset_name: 'sklearn-digits' };
  const built = specFromValues(values, sourceOf(spec), new FieldChecks());
  assert.deepEqual(built.dataset, { name: 'sklearn-digits', eval_fraction: 0.2 });
  assert.deepEqual(specFromValues(DEFAULTS, NO_SOURCE, new FieldChecks()).determinism, { threads: 1, digest_decimals: 6 });
});

test('the form problems, field by field, in the form order', () => {
  const checks = new FieldChecks();
  specFromValues({ ...DEFAULTS, name: ' ', layers: '4,x', steps: '0', learning_rate: '0' }, NO_SOURCE, checks);
  assert.deepEqual(checks.problems, [
    { name: 'name', problem: 'required' },
    { name: 'layers', problem: 'comma-separated positive widths, like 64 or 32,16' },
    { name: 'steps', problem: 'must be between 1 and 1000000' },
    { name: 'learning_rate', problem: 'must be between 1e-9 and Infinity' },
    { name: 'checkpoint_interval', problem: 'must be between 1 and 0' }, // at most the steps
  ]);
  const interval = new FieldChecks();
  specFromValues({ ...DEFAULTS, checkpoint_interval: '61' }, NO_SOURCE, interval);
  assert.deepEqual(interval.problems, [{ name: 'checkpoint_interval', problem: 'must be between 1 and 60' }]);
});

test('the spec JSON must be an object', () => {
  const checks = new FieldChecks();
  assert.deepEqual(specFromJson({ spec_json: '{"version": 1}' }, checks), { version: 1 });
  assert.ok(checks.ok);
  const broken = new FieldChecks();
  specFromJson({ spec_json: '{"version": 1,' }, broken);
  assert.equal(broken.problems[0].name, 'spec_json');
  assert.match(broken.problems[0].problem, /^not valid JSON/);
});

test('market terms: amounts in wei, and a deadline leaving the execution window after applications close', () => {
  const checks = new FieldChecks();
  const market = marketFromValues(MARKET, SETTLEMENT, checks);
  assert.ok(checks.ok);
  assert.deepEqual(market, {
    token: MARKET.token, symbol: 'ETH', budget: 5n * 10n ** 17n, replication: 1, collateral: 10n * 10n ** 18n, applyWindow: 60,
    deadline: 600, strategy: MARKET.strategy, minClass: 0, minReputation: 0,
  });
  const refused = new FieldChecks();
  marketFromValues({ ...MARKET, budget: 'a lot', deadline: '10', replication: '9' }, SETTLEMENT, refused);
  assert.deepEqual(refused.problems, [
    { name: 'budget', problem: 'must be a decimal amount, like 0.5' },
    { name: 'replication', problem: 'must be between 1 and 8' },
    { name: 'deadline', problem: 'must be between 180 and 31536000' },
  ]);
  const noWindow = new FieldChecks();
  marketFromValues({ ...MARKET, deadline: '61' }, {}, noWindow);
  assert.ok(noWindow.ok, 'without a minimum execution window one second after the applications close is enough');
});
