// The model library's pure modules (frontend/js/models/): the Models page's filters and texts, the
// specs the publish flow is pre-filled with from a model, the rating form's checks, and the verdict
// of a verified download.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { FieldChecks } from '../../frontend/js/forms/checks.js';
import { filtersFromQuery, metricText, modelQuery, ratingTexts, shownAverage, starsText } from '../../frontend/js/models/filters.js';
import { fineTuneSpec, inferenceSpec, prefillRequest, prefilledSpec, publishHash } from '../../frontend/js/models/prefill.js';
import { ratingFromValues, reviewDocument, stakeProblem } from '../../frontend/js/models/rating.js';
import { sha256Hex, verdict, verifiedDownload } from '../../frontend/js/models/download.js';

const example = (name) => JSON.parse(readFileSync(new URL(`../../examples/${name}`, import.meta.url), 'utf8'));
const NO_FILTERS = { domain: '', framework: '', metric: '', min_rating: '', licence: '', verified: false, sort: 'newest' };

test('modelQuery: only the filters that are set, trimmed; the default sort and an unset rating left out', () => {
  assert.equal(modelQuery(NO_FILTERS), 'limit=100');
  const query = new URLSearchParams(modelQuery({ domain: 'vision', framework: 'torch', metric: ' accuracy ', min_rating: '4',
    licence: 'MIT', verified: true, sort: 'rating' }, { limit: 20 }));
  assert.deepEqual(Object.fromEntries(query), { domain: 'vision', framework: 'torch', metric: 'accuracy', licence: 'MIT',
    min_rating: '4', verified: 'true', sort: 'rating', limit: '20' });
  assert.equal(new URLSearchParams(modelQuery({ ...NO_FILTERS, min_rating: '0' })).has('min_rating'), false);
  assert.equal(new URLSearchParams(modelQuery({ ...NO_FILTERS, verified: 'false' })).has('verified'), false);
});

test('filtersFromQuery reads back what modelQuery writes', () => {
  const values = { domain: 'text', framework: 'peft', metric: 'perplexity', min_rating: '3', licence: 'Apache-2.0', verified: true, sort: 'metric' };
  assert.deepEqual(filtersFromQuery(modelQuery(values)), values);
  assert.deepEqual(filtersFromQuery(''), NO_FILTERS);
});

test('metric and rating texts', () => {
  assert.equal(metricText({ verified: true, metric: 'accuracy', metric_value: 9750 }), '97.5% accuracy');
  assert.equal(metricText({ verified: false, metric: 'accuracy', metric_value: 0 }), '—');
  assert.equal(starsText(4.5, 2), '4.5★ (2)');
  assert.equal(starsText(4, 1), '4★ (1)');
  assert.equal(starsText(3.3333, 3), '3.33★ (3)');
  assert.equal(starsText(null, 0), 'unrated');
  assert.deepEqual(ratingTexts(undefined), { verified: 'unrated', staked: 'unrated' });
  const ratings = { verified_count: 1, verified_average: 5, staked_count: 3, staked_average: 1.5 };
  assert.deepEqual(ratingTexts(ratings), { verified: '5★ (1)', staked: '1.5★ (3)' });
  assert.equal(shownAverage(ratings), 5, 'the verified users\' average comes first');
  assert.equal(shownAverage({ ...ratings, verified_count: 0, verified_average: null }), 1.5);
  assert.equal(shownAverage({ verified_count: 0, staked_count: 0 }), null);
});

test('fineTuneSpec: the model\'s training spec starting from it, renamed, init and privacy dropped', () => {
  const spec = { ...example('digits-mlp.json'), init: { uri: 'ipfs://w', format: 'safetensors', digest: 'a'.repeat(64) },
    privacy: { mode: 'sealed' } };
  const out = fineTuneSpec(spec, 7);
  assert.deepEqual(out.base_model, { id: 7 });
  assert.equal(out.init, undefined);
  assert.equal(out.privacy, undefined);
  assert.match(out.name, /fine-tuned from model #7$/);
  assert.deepEqual(out.model, spec.model);
  assert.deepEqual(out.training, spec.training);
  assert.deepEqual(out.dataset, spec.dataset);
  assert.ok(spec.init, 'the model\'s spec itself is left alone');
  assert.ok(fineTuneSpec({ ...spec, name: 'x'.repeat(200) }, 1).name.length <= 200);
});

test('inferenceSpec: the model, its data and rounding, an inference section, no training or acceptance', () => {
  const spec = example('digits-mlp.json');
  const out = inferenceSpec(spec, 3, { inputs: 1797 });
  assert.equal(out.training, undefined);
  assert.equal(out.acceptance, undefined);
  assert.deepEqual(out.base_model, { id: 3 });
  assert.deepEqual(out.model, spec.model);
  assert.deepEqual(out.dataset, spec.dataset);
  assert.deepEqual(out.determinism, spec.determinism);
  assert.deepEqual(out.inference, { inputs: 1797, batch_size: 64, shard_size: 256, decimals: 4, outputs: 'classes' });
  const few = inferenceSpec(spec, 3, { inputs: 10 }).inference;
  assert.deepEqual([few.inputs, few.shard_size, few.batch_size], [10, 10, 10], 'a batch never spans two shards');
  const unknown = inferenceSpec(spec, 3).inference;
  assert.equal(unknown.inputs, 256, 'without a known count, one shard for the requester to change');
});

test('publish addresses: built by publishHash, read by prefillRequest, malformed ones named', () => {
  const query = publishHash(12, 'inference').split('?')[1];
  assert.deepEqual(prefillRequest(query), { model: 12, mode: 'inference' });
  assert.deepEqual(prefillRequest('from-model=4'), { model: 4, mode: 'finetune' });
  assert.equal(prefillRequest(''), null);
  assert.match(prefillRequest('from-model=0').problem, /from-model must be a model id/);
  assert.match(prefillRequest('from-model=abc').problem, /from-model must be a model id/);
  assert.match(prefillRequest('from-model=2&mode=train').problem, /mode must be finetune or inference/);
  const spec = example('digits-mlp.json');
  assert.ok(prefilledSpec({ model: 2, mode: 'inference' }, spec, 100).inference);
  assert.deepEqual(prefilledSpec({ model: 2, mode: 'finetune' }, spec).base_model, { id: 2 });
});

test('ratingFromValues: stars 1..5, a bounded review, an optional stake in NNT', () => {
  const checks = new FieldChecks();
  assert.deepEqual(ratingFromValues({ stars: '4', review: ' good ', stake: '' }, checks), { stars: 4, review: 'good', stake: 0n });
  assert.ok(checks.ok);
  const staked = new FieldChecks();
  assert.equal(ratingFromValues({ stars: '5', review: '', stake: '10.5' }, staked).stake, 10500000000000000000n);
  const bad = new FieldChecks();
  ratingFromValues({ stars: '6', review: 'x'.repeat(4001), stake: 'lots' }, bad);
  assert.deepEqual(bad.problems.map((p) => p.name), ['stars', 'review', 'stake']);
  assert.deepEqual(reviewDocument('3', 4, 'fine'), { version: 1, model: 3, stars: 4, review: 'fine' });
});

test('stakeProblem: owners never rate; others stake at least the minimum; verified users need no stake', () => {
  const base = { stake: 0n, useWeightBps: 0, minStake: 10n ** 19n, isOwner: false, balance: 10n ** 20n };
  assert.match(stakeProblem({ ...base, isOwner: true }), /owners cannot rate/);
  assert.match(stakeProblem(base), /stake at least 10 NNT/);
  assert.equal(stakeProblem({ ...base, stake: 10n ** 19n }), null);
  assert.equal(stakeProblem({ ...base, useWeightBps: 10000 }), null);
  assert.match(stakeProblem({ ...base, stake: 10n ** 21n }), /balance is lower/);
  assert.equal(stakeProblem({ ...base, staked: 10n ** 19n }), null, 'a rating changed keeps its stake');
  assert.match(stakeProblem({ ...base, staked: 4n * 10n ** 18n, stake: 5n * 10n ** 18n }), /stake at least 10 NNT on your rating \(it holds 4 NNT\)/);
});

test('a verified download: the bytes\' SHA-256 must be the one the server reported', async () => {
  const bytes = new TextEncoder().encode('weights');
  const sha = await sha256Hex(bytes);
  assert.equal(sha, '9a129038d9a00aed0cf6a7ea059ca50a813449061ab87848cf1a13eafdf33b2c'); // sha256sum of the same bytes
  assert.ok(verdict(sha, sha.toUpperCase(), '0xab').ok);
  assert.match(verdict(sha, sha, '0xab').text, /registered model digest 0xab/);
  assert.match(verdict(sha, '0'.repeat(64), '0xab').text, /refusing/);
  assert.equal(verdict(sha, null, '0xab').ok, false);
  const headers = (h) => ({ get: (name) => h[name] ?? null });
  const served = (body, h) => async () => ({ ok: true, headers: headers(h), arrayBuffer: async () => body.buffer });
  const good = await verifiedDownload(1, served(bytes, { 'X-NNC-SHA256': sha, 'X-NNC-Model-Digest': '0x01' }));
  assert.ok(good.ok);
  assert.equal(good.size, bytes.length);
  const tampered = await verifiedDownload(1, served(new TextEncoder().encode('weightz'), { 'X-NNC-SHA256': sha }));
  assert.equal(tampered.ok, false);
  const refused = await verifiedDownload(1, async () => ({ ok: false, status: 422, json: async () => ({ error: { message: 'does not match' } }) }));
  assert.deepEqual([refused.ok, refused.text], [false, 'does not match']);
});
