// Publish: a task spec form, dataset upload, budget and token; everything is validated (here, then
// by the API's spec validation and dry run) before any transaction. ERC-20 budgets are approved first.
import { ethers } from '/vendor/ethers.js';
import { api } from '../api.js';
import { contract, getDeployment } from '../chain.js';
import { field, h } from '../dom.js';
import { amount } from '../format.js';
import { send } from '../tx.js';
import * as wallet from '../wallet.js';

function input(name, attrs) { return h('input', { id: `f-${name}`, name, ...attrs }); }

const FIELDS = {
  name: () => input('name', { required: true, maxlength: 200, value: 'digits MLP' }),
  kind: () => h('select', { id: 'f-kind', name: 'kind' }, h('option', { value: 'mlp' }, 'MLP (fully connected)'), h('option', { value: 'cnn' }, 'CNN (3×3 convolutions)')),
  layers: () => input('layers', { required: true, value: '16', pattern: '[0-9 ,]+' }),
  eval_fraction: () => input('eval_fraction', { type: 'number', step: '0.01', min: '0.01', max: '0.5', value: '0.2' }),
  seed: () => input('seed', { type: 'number', min: '0', value: '7' }),
  steps: () => input('steps', { type: 'number', min: '1', max: '1000000', value: '60' }),
  batch_size: () => input('batch_size', { type: 'number', min: '1', max: '4096', value: '32' }),
  learning_rate: () => input('learning_rate', { type: 'number', step: 'any', min: '0', value: '0.01' }),
  optimizer: () => h('select', { id: 'f-optimizer', name: 'optimizer' }, h('option', { value: 'adam' }, 'Adam'), h('option', { value: 'sgd' }, 'SGD')),
  checkpoint_interval: () => input('checkpoint_interval', { type: 'number', min: '1', value: '20' }),
  threshold: () => input('threshold', { type: 'number', step: '0.01', min: '0', max: '1', value: '0.5' }),
  budget: () => input('budget', { required: true, inputmode: 'decimal', value: '0.5' }),
  replication: () => input('replication', { type: 'number', min: '1', max: '8', value: '1' }),
  collateral: () => input('collateral', { inputmode: 'decimal', value: '10' }),
  apply_window: () => input('apply_window', { type: 'number', min: '1', value: '60' }),
  deadline: () => input('deadline', { type: 'number', min: '2', value: '600' }),
  min_class: () => input('min_class', { type: 'number', min: '0', max: '255', value: '0' }),
  min_reputation: () => input('min_reputation', { type: 'number', min: '0', max: '10000', value: '0' }),
};

export async function publishPage() {
  const d = getDeployment();
  const params = await api.get('/params');
  const f = Object.fromEntries(Object.entries(FIELDS).map(([k, make]) => [k, make()]));
  f.token = h('select', { id: 'f-token', name: 'token' },
    params.tokens.filter((t) => t.allowed).map((t) => h('option', { value: t.address, 'data-symbol': t.symbol }, t.symbol)));
  f.strategy = h('select', { id: 'f-strategy', name: 'strategy' },
    params.strategies.filter((s) => s.allowed).map((s) => h('option', { value: s.address }, s.name)));
  f.dataset = h('input', { id: 'f-dataset', name: 'dataset', type: 'file' });
  const summary = h('div', { id: 'form-errors', class: 'errors', role: 'alert', tabindex: '-1' });
  const estimate = h('div', { id: 'estimate', 'aria-live': 'polite' });
  const result = h('div', { id: 'publish-result', 'aria-live': 'polite' });

  function fail(messages) {
    summary.textContent = messages.length ? `Please fix:\n${messages.join('\n')}` : '';
    if (messages.length) summary.focus();
    return messages.length === 0;
  }

  function mark(name, problem, problems) {
    f[name].setAttribute('aria-invalid', problem ? 'true' : 'false');
    if (problem) problems.push(`${f[name].closest('label').firstChild.textContent}: ${problem}`);
  }

  function num(name, problems, { integer = true, min = -Infinity, max = Infinity } = {}) {
    const raw = f[name].value.trim();
    const value = Number(raw);
    let problem = null;
    if (raw === '' || !Number.isFinite(value)) problem = 'a number is required';
    else if (integer && !Number.isInteger(value)) problem = 'must be a whole number';
    else if (value < min || value > max) problem = `must be between ${min} and ${max}`;
    mark(name, problem, problems);
    return value;
  }

  function units(name, decimals, problems, positive) {
    let value = null;
    let problem = null;
    try {
      value = ethers.parseUnits(f[name].value.trim(), decimals);
      if (positive && value <= 0n) problem = 'must be more than 0';
      if (value < 0n) problem = 'must not be negative';
    } catch (_) { problem = 'must be a decimal amount, like 0.5'; }
    mark(name, problem, problems);
    return value;
  }

  // Client-side checks of every field; returns {spec, market} or null with the problems shown.
  function collect() {
    const problems = [];
    const name = f.name.value.trim();
    mark('name', name ? null : 'required', problems);
    const layers = f.layers.value.split(',').map((x) => x.trim()).filter(Boolean).map(Number);
    mark('layers', layers.length && layers.every((x) => Number.isInteger(x) && x > 0) ? null : 'comma-separated positive widths, like 64 or 32,16', problems);
    const steps = num('steps', problems, { min: 1, max: 1000000 });
    const spec = {
      version: 1, name, framework: 'torch',
      model: f.kind.value === 'mlp' ? { kind: 'mlp', hidden: layers, channels: [] } : { kind: 'cnn', hidden: [], channels: layers },
      dataset: { name: 'sklearn-digits', eval_fraction: num('eval_fraction', problems, { integer: false, min: 0.01, max: 0.5 }) },
      training: { seed: num('seed', problems, { min: 0 }), steps, batch_size: num('batch_size', problems, { min: 1, max: 4096 }),
        learning_rate: num('learning_rate', problems, { integer: false, min: 1e-9 }), optimizer: f.optimizer.value,
        checkpoint_interval: num('checkpoint_interval', problems, { min: 1, max: Number.isFinite(steps) ? steps : 1e6 }) },
      acceptance: { metric: 'accuracy', threshold: num('threshold', problems, { integer: false, min: 0, max: 1 }) },
      determinism: { threads: 1, digest_decimals: 6 },
    };
    const applyWindow = num('apply_window', problems, { min: 1, max: 30 * 86400 });
    const market = {
      token: f.token.value, symbol: f.token.selectedOptions[0].dataset.symbol,
      budget: units('budget', 18, problems, true), replication: num('replication', problems, { min: 1, max: 8 }),
      collateral: units('collateral', 18, problems, false), applyWindow,
      deadline: num('deadline', problems, { min: applyWindow + 1, max: 365 * 86400 }),
      strategy: f.strategy.value, minClass: num('min_class', problems, { min: 0, max: 255 }),
      minReputation: num('min_reputation', problems, { min: 0, max: 10000 }),
    };
    return fail(problems) ? { spec, market } : null;
  }

  async function runEstimate(spec) {
    estimate.replaceChildren(h('p', { class: 'muted' }, 'Dry run: training a few steps…'));
    try {
      const verdict = await api.postJson('/specs/validate', spec);
      if (!verdict.valid) {
        estimate.replaceChildren();
        fail(verdict.problems);
        return null;
      }
      const e = await api.postJson('/specs/estimate', spec);
      estimate.replaceChildren(h('div', { class: 'card', id: 'estimate-result' }, h('h2', {}, 'Dry-run estimate'), h('dl', { class: 'kv' },
        h('dt', {}, 'Compute units'), h('dd', { id: 'estimate-cu' }, e.compute_units),
        h('dt', {}, 'Parameters'), h('dd', {}, e.parameters),
        h('dt', {}, 'Training memory'), h('dd', {}, `${(e.memory_bytes / 1024).toFixed(1)} KiB`),
        h('dt', {}, 'Time here'), h('dd', {}, e.steps_measured
          ? `${e.estimated_seconds.toFixed(2)} s (${(e.seconds_per_step * 1000).toFixed(2)} ms/step over ${e.steps_measured} steps)`
          : 'too large to time on the API server: run `nnc task dry-run` on a node'))));
      return e;
    } catch (err) {
      estimate.replaceChildren();
      fail([err.message]);
      return null;
    }
  }

  async function onEstimate(event) {
    event.preventDefault();
    const form = collect();
    if (form) await runEstimate(form.spec);
  }

  async function onPublish(event) {
    event.preventDefault();
    result.replaceChildren();
    const form = collect();
    if (!form || !(await runEstimate(form.spec))) return;
    if (!wallet.state.account) { fail(['Connect a wallet to publish.']); return; }
    const { spec, market } = form;
    try {
      const signer = await wallet.signer();
      const isEth = BigInt(market.token) === 0n;
      const balance = isEth ? await signer.provider.getBalance(wallet.state.account)
        : await contract('NNToken', signer).balanceOf(wallet.state.account);
      if (balance < market.budget) { fail([`Budget: your balance is ${amount(balance, market.symbol)}, less than ${amount(market.budget, market.symbol)}.`]); return; }
      if (f.dataset.files.length) {
        const data = await api.upload('dataset', f.dataset.files[0]);
        spec.dataset.uri = data.uri;
        result.append(h('p', {}, 'Dataset stored at ', h('code', {}, data.uri), ` (sha256 ${data.sha256.slice(0, 16)}…)`));
      }
      const stored = await api.postJson('/specs', spec);
      const marketContract = contract('TaskMarket', signer);
      if (!isEth) {
        const token = new ethers.Contract(market.token, d.abis.NNToken, signer);
        const allowance = await token.allowance(wallet.state.account, d.addresses.TaskMarket);
        if (allowance < market.budget) await send(`Approve ${amount(market.budget, market.symbol)}`, token.approve, [d.addresses.TaskMarket, market.budget]);
      }
      const now = (await signer.provider.getBlock('latest')).timestamp;
      const taskParams = {
        specDigest: stored.spec_digest, specURI: stored.uri, token: market.token, budget: market.budget,
        replication: market.replication, strategy: market.strategy, collateral: market.collateral,
        minHardwareClass: market.minClass, applyDeadline: now + market.applyWindow, deadline: now + market.deadline,
        computeUnits: stored.compute_units, minReputation: market.minReputation,
      };
      const receipt = await send(`Publish "${spec.name}"`, marketContract.publish, [taskParams], { value: isEth ? market.budget : 0n });
      const log = receipt.logs.map((l) => { try { return marketContract.interface.parseLog(l); } catch (_) { return null; } })
        .find((l) => l && l.name === 'TaskPublished');
      const id = log.args.taskId.toString();
      result.append(h('p', { class: 'ok', id: 'published-task', 'data-task': id }, `Task ${id} published. `, h('a', { href: `#/tasks/${id}` }, 'Follow it')));
    } catch (err) {
      result.append(h('p', { class: 'error', role: 'alert' }, err.reason ? `Not published: ${err.reason}` : `Not published: ${err.message}`));
    }
  }

  const element = h('section', {}, h('h1', {}, 'Publish a training task'),
    h('form', { id: 'publish-form', novalidate: true, onsubmit: onPublish },
      summary,
      h('fieldset', {}, h('legend', {}, 'Model'), h('div', { class: 'row' },
        field('Task name', f.name), field('Model kind', f.kind), field('Layer widths', f.layers, 'hidden widths (MLP) or channels (CNN)'),
        field('Framework', h('input', { id: 'f-framework', value: 'PyTorch (torch)', readonly: true })))),
      h('fieldset', {}, h('legend', {}, 'Data'), h('div', { class: 'row' },
        field('Dataset', h('input', { id: 'f-dataset-name', value: 'sklearn-digits', readonly: true })),
        field('Evaluation fraction', f.eval_fraction), field('Dataset file (optional upload)', f.dataset, 'stored content-addressed; its URI goes in the spec'))),
      h('fieldset', {}, h('legend', {}, 'Hyper-parameters'), h('div', { class: 'row' },
        field('Seed', f.seed), field('Steps', f.steps), field('Batch size', f.batch_size), field('Learning rate', f.learning_rate),
        field('Optimizer', f.optimizer), field('Checkpoint interval', f.checkpoint_interval))),
      h('fieldset', {}, h('legend', {}, 'Acceptance'), h('div', { class: 'row' },
        field('Metric', h('input', { id: 'f-metric', value: 'accuracy', readonly: true })), field('Threshold (0..1)', f.threshold))),
      h('fieldset', {}, h('legend', {}, 'Budget and market'), h('div', { class: 'row' },
        field('Token', f.token), field('Budget', f.budget, 'whole tokens, e.g. 0.5'), field('Replication (nodes)', f.replication),
        field('Collateral per node (NNT)', f.collateral), field('Application window (s)', f.apply_window), field('Deadline (s from now)', f.deadline),
        field('Strategy', f.strategy), field('Minimum hardware class', f.min_class), field('Minimum reputation (0..10000)', f.min_reputation))),
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'secondary', id: 'estimate-button', onclick: onEstimate }, 'Estimate (dry run)'),
        h('button', { type: 'submit', id: 'publish-button' }, 'Publish'))),
    estimate, result);
  return { element };
}
