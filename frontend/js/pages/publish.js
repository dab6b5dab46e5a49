// Publish: a task spec (from the form, or as JSON for what the form cannot express), dataset upload,
// budget and token; everything is validated (here, then by the API's spec validation and dry run)
// before any transaction. ERC-20 budgets are approved first. Templates are the API's example specs:
// a PyTorch classifier fills the form, any other opens as editable spec JSON.
import { ethers } from '/vendor/ethers.js';
import { api } from '../api.js';
import { contract, getDeployment } from '../chain.js';
import { field, h } from '../dom.js';
import { amount } from '../format.js';
import { send } from '../tx.js';
import * as wallet from '../wallet.js';

function input(name, attrs) { return h('input', { id: `f-${name}`, name, ...attrs }); }

const DATASETS = [['sklearn-digits', 'sklearn-digits (8×8 digit images)'], ['synthetic-tones', 'synthetic-tones (audio clips)'],
  ['synthetic-motion', 'synthetic-motion (video clips)']];
const FRAMEWORKS = { torch: 'PyTorch', jax: 'JAX', transformers: 'Transformers', peft: 'PEFT (LoRA)', diffusers: 'Diffusers' };
const DETERMINISM = { threads: 1, digest_decimals: 6 };

// Whether the simple form can express a spec: a PyTorch classifier on a bundled classification set.
function fitsForm(spec) {
  const m = spec && spec.model;
  const d = spec && spec.dataset;
  return Boolean(spec && typeof spec === 'object' && spec.framework === 'torch' && m && ['mlp', 'cnn'].includes(m.kind)
    && Array.isArray(m.kind === 'mlp' ? m.hidden : m.channels) && d && DATASETS.some(([n]) => n === d.name) && !d.uri
    && !spec.privacy && spec.acceptance && spec.acceptance.metric === 'accuracy' && spec.training);
}

function byteSize(bytes) {
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

const na = (value, show) => (value === null || value === undefined ? 'n/a' : show(value));

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
  dataset_name: () => h('select', { id: 'f-dataset-name', name: 'dataset_name' }, DATASETS.map(([v, text]) => h('option', { value: v }, text))),
  threshold: () => input('threshold', { type: 'number', step: '0.01', min: '0', max: '1', value: '0.5' }),
  budget: () => input('budget', { required: true, inputmode: 'decimal', value: '0.5' }),
  replication: () => input('replication', { type: 'number', min: '1', max: '8', value: '1' }),
  collateral: () => input('collateral', { inputmode: 'decimal', value: '10' }),
  apply_window: () => input('apply_window', { type: 'number', min: '1', value: '60' }),
  deadline: () => input('deadline', { type: 'number', min: '2', value: '600' }),
  min_class: () => input('min_class', { type: 'number', min: '0', max: '255', value: '0' }),
  min_reputation: () => input('min_reputation', { type: 'number', min: '0', max: '10000', value: '0' }),
  advanced: () => input('advanced', { type: 'checkbox', 'aria-controls': 'spec-json-section' }),
  spec_json: () => h('textarea', { id: 'f-spec-json', name: 'spec_json', rows: '24', spellcheck: 'false', autocapitalize: 'off', autocomplete: 'off', class: 'mono' }),
};
const FORM_FIELDS = ['name', 'kind', 'layers', 'dataset_name', 'eval_fraction', 'seed', 'steps', 'batch_size', 'learning_rate',
  'optimizer', 'checkpoint_interval', 'threshold'];

export async function publishPage() {
  const d = getDeployment();
  const [params, templateList, runtimes] = await Promise.all([api.get('/params'),
    api.get('/templates').catch((err) => ({ items: [], error: err.message })),
    api.get('/runtimes').catch(() => null)]);
  const templates = templateList.items;
  const f = Object.fromEntries(Object.entries(FIELDS).map(([k, make]) => [k, make()]));
  f.template = h('select', { id: 'f-template', name: 'template', 'aria-describedby': 'template-status' },
    h('option', { value: '' }, 'None: fill in the form'),
    templates.map((t) => h('option', { value: t.id },
      `${t.name} (${FRAMEWORKS[t.framework] || t.framework} ${t.model_kind} on ${t.dataset})${t.runtime_installed ? '' : ', not timed here'}`)));
  f.token = h('select', { id: 'f-token', name: 'token' },
    params.tokens.filter((t) => t.allowed).map((t) => h('option', { value: t.address, 'data-symbol': t.symbol }, t.symbol)));
  f.strategy = h('select', { id: 'f-strategy', name: 'strategy' },
    params.strategies.filter((s) => s.allowed).map((s) => h('option', { value: s.address }, s.name)));
  f.dataset = h('input', { id: 'f-dataset', name: 'dataset', type: 'file' });
  const summary = h('div', { id: 'form-errors', class: 'errors', role: 'alert', tabindex: '-1' });
  const estimate = h('div', { id: 'estimate', 'aria-live': 'polite' });
  const result = h('div', { id: 'publish-result', 'aria-live': 'polite' });
  const templateStatus = h('p', { id: 'template-status', class: 'muted', role: 'status' },
    templateList.error ? `Templates could not be loaded: ${templateList.error}` : `${templates.length} example specs shipped with NNC.`);
  // The dataset digest and determinism of the template that last filled the form (the form has no fields for them).
  let base = { determinism: DETERMINISM, dataset: null, digest: null };
  const simpleSections = [];
  const jsonSection = h('fieldset', { id: 'spec-json-section', hidden: true }, h('legend', {}, 'The whole spec'),
    field('Spec JSON', f.spec_json, 'validated by the API (problems appear at the top), dry-run and published as written; an uploaded dataset\'s URI is added as dataset.uri'));

  function jsonMode() { return f.advanced.checked; }

  function showJson(on) {
    f.advanced.checked = on;
    jsonSection.hidden = !on;
    for (const section of simpleSections) section.hidden = on;
  }

  function fillForm(spec) {
    const m = spec.model;
    const t = spec.training;
    const values = {
      name: spec.name, kind: m.kind, layers: (m.kind === 'mlp' ? m.hidden : m.channels).join(','), dataset_name: spec.dataset.name,
      eval_fraction: spec.dataset.eval_fraction, seed: t.seed, steps: t.steps, batch_size: t.batch_size, learning_rate: t.learning_rate,
      optimizer: t.optimizer, checkpoint_interval: t.checkpoint_interval, threshold: spec.acceptance.threshold,
    };
    for (const name of FORM_FIELDS) {
      f[name].value = values[name] === undefined || values[name] === null ? '' : String(values[name]);
      f[name].setAttribute('aria-invalid', 'false');
    }
    base = { determinism: spec.determinism || DETERMINISM, dataset: spec.dataset.name, digest: spec.dataset.digest || null };
  }

  function onTemplate() {
    const t = templates.find((x) => x.id === f.template.value);
    summary.textContent = '';
    estimate.replaceChildren();
    f.spec_json.setAttribute('aria-invalid', 'false');
    if (!t) {
      showJson(false);
      templateStatus.textContent = 'No template: the form below builds the spec.';
    } else if (fitsForm(t.spec)) {
      fillForm(t.spec);
      showJson(false);
      templateStatus.textContent = `Filled the form from ${t.id} (${t.compute_units} compute units as shipped).`;
    } else {
      f.spec_json.value = JSON.stringify(t.spec, null, 2);
      showJson(true);
      templateStatus.textContent = `${t.id} is a ${FRAMEWORKS[t.framework] || t.framework} spec the form cannot express: edit its JSON below.`;
    }
  }

  function onAdvanced() {
    summary.textContent = '';
    estimate.replaceChildren();
    if (f.advanced.checked) {
      f.spec_json.value = JSON.stringify(buildSpec([]), null, 2);
      f.spec_json.setAttribute('aria-invalid', 'false');
      showJson(true);
      templateStatus.textContent = 'Editing the spec as JSON, starting from the form; the form is not used.';
      return;
    }
    let spec = null;
    try { spec = JSON.parse(f.spec_json.value); } catch (_) { spec = null; }
    showJson(false);
    if (fitsForm(spec)) {
      fillForm(spec);
      templateStatus.textContent = 'Back to the form, filled from the JSON.';
    } else {
      templateStatus.textContent = 'Back to the form: the JSON is not a PyTorch classifier on a bundled dataset, so the form keeps its own values.';
    }
  }

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

  // The spec the form describes (field problems pushed onto `problems`).
  function buildSpec(problems) {
    const name = f.name.value.trim();
    mark('name', name ? null : 'required', problems);
    const layers = f.layers.value.split(',').map((x) => x.trim()).filter(Boolean).map(Number);
    mark('layers', layers.length && layers.every((x) => Number.isInteger(x) && x > 0) ? null : 'comma-separated positive widths, like 64 or 32,16', problems);
    const steps = num('steps', problems, { min: 1, max: 1000000 });
    const dataset = { name: f.dataset_name.value, eval_fraction: num('eval_fraction', problems, { integer: false, min: 0.01, max: 0.5 }) };
    if (base.digest && base.dataset === dataset.name) dataset.digest = base.digest;
    return {
      version: 1, name, framework: 'torch',
      model: f.kind.value === 'mlp' ? { kind: 'mlp', hidden: layers, channels: [] } : { kind: 'cnn', hidden: [], channels: layers },
      dataset,
      training: { seed: num('seed', problems, { min: 0 }), steps, batch_size: num('batch_size', problems, { min: 1, max: 4096 }),
        learning_rate: num('learning_rate', problems, { integer: false, min: 1e-9 }), optimizer: f.optimizer.value,
        checkpoint_interval: num('checkpoint_interval', problems, { min: 1, max: Number.isFinite(steps) ? steps : 1e6 }) },
      acceptance: { metric: 'accuracy', threshold: num('threshold', problems, { integer: false, min: 0, max: 1 }) },
      determinism: { ...base.determinism },
    };
  }

  // The spec JSON as written, if it parses to an object.
  function jsonSpec(problems) {
    let spec = null;
    let problem = null;
    try { spec = JSON.parse(f.spec_json.value); } catch (err) { problem = `not valid JSON (${err.message})`; }
    if (!problem && (spec === null || typeof spec !== 'object' || Array.isArray(spec))) problem = 'must be a JSON object (a task spec)';
    mark('spec_json', problem, problems);
    return spec;
  }

  // Client-side checks of every field; returns {spec, market} or null with the problems shown.
  function collect() {
    const problems = [];
    const spec = jsonMode() ? jsonSpec(problems) : buildSpec(problems);
    const applyWindow = num('apply_window', problems, { min: 1, max: 30 * 86400 });
    const market = {
      token: f.token.value, symbol: f.token.selectedOptions[0].dataset.symbol,
      budget: units('budget', 18, problems, true), replication: num('replication', problems, { min: 1, max: 8 }),
      collateral: units('collateral', 18, problems, false), applyWindow,
      // the market needs at least min_execution_window seconds between the applications' close and the deadline
      deadline: num('deadline', problems, { min: applyWindow + Math.max(1, Number(params.settlement.min_execution_window ?? 1)), max: 365 * 86400 }),
      strategy: f.strategy.value, minClass: num('min_class', problems, { min: 0, max: 255 }),
      minReputation: num('min_reputation', problems, { min: 0, max: 10000 }),
    };
    return fail(problems) ? { spec, market } : null;
  }

  async function runEstimate(spec) {
    estimate.replaceChildren(h('p', { class: 'muted' }, 'Dry run: training a few steps…'));
    try {
      const verdict = await api.postJson('/specs/validate', spec);
      if (jsonMode()) f.spec_json.setAttribute('aria-invalid', verdict.valid ? 'false' : 'true');
      if (!verdict.valid) {
        estimate.replaceChildren();
        fail(verdict.problems);
        return null;
      }
      const e = await api.postJson('/specs/estimate', spec);
      estimate.replaceChildren(h('div', { class: 'card', id: 'estimate-result' }, h('h2', {}, 'Dry-run estimate'), h('dl', { class: 'kv' },
        h('dt', {}, 'Framework'), h('dd', { id: 'estimate-framework' }, FRAMEWORKS[spec.framework] ? `${FRAMEWORKS[spec.framework]} (${spec.framework})` : spec.framework),
        h('dt', {}, 'Compute units'), h('dd', { id: 'estimate-cu' }, e.compute_units),
        h('dt', {}, 'Parameters'), h('dd', { id: 'estimate-parameters' }, na(e.parameters, (p) => p.toLocaleString('en'))),
        h('dt', {}, 'Training memory'), h('dd', { id: 'estimate-memory' }, na(e.memory_bytes, byteSize)),
        h('dt', {}, 'Time here'), h('dd', { id: 'estimate-time' }, e.steps_measured > 0
          ? `${e.estimated_seconds.toFixed(2)} s (${(e.seconds_per_step * 1000).toFixed(2)} ms/step over ${e.steps_measured} steps)`
          : untimed(spec)))));
      return e;
    } catch (err) {
      estimate.replaceChildren();
      fail([err.message]);
      return null;
    }
  }

  // Why the API did not time a dry run (it reports steps_measured 0).
  function untimed(spec) {
    const installed = runtimes ? runtimes.items.map((r) => r.framework) : null;
    if (installed && !installed.includes(spec.framework)) {
      return `not timed: this API server has no ${spec.framework} runtime; run \`nnc task dry-run\` on a node that has it`;
    }
    if (spec.dataset && spec.dataset.uri) return 'not timed: the data are stored elsewhere; run `nnc task dry-run` on a node';
    return 'too large to time on the API server: run `nnc task dry-run` on a node';
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
        if (!jsonMode()) delete spec.dataset.digest; // the bundled set's digest does not describe the upload
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

  f.template.addEventListener('change', onTemplate);
  f.advanced.addEventListener('change', onAdvanced);
  simpleSections.push(
    h('fieldset', {}, h('legend', {}, 'Model'), h('div', { class: 'row' },
      field('Task name', f.name), field('Model kind', f.kind), field('Layer widths', f.layers, 'hidden widths (MLP) or channels (CNN)'),
      field('Framework', h('input', { id: 'f-framework', value: 'PyTorch (torch)', readonly: true })))),
    h('fieldset', {}, h('legend', {}, 'Data'), h('div', { class: 'row' },
      field('Dataset', f.dataset_name), field('Evaluation fraction', f.eval_fraction))),
    h('fieldset', {}, h('legend', {}, 'Hyper-parameters'), h('div', { class: 'row' },
      field('Seed', f.seed), field('Steps', f.steps), field('Batch size', f.batch_size), field('Learning rate', f.learning_rate),
      field('Optimizer', f.optimizer), field('Checkpoint interval', f.checkpoint_interval))),
    h('fieldset', {}, h('legend', {}, 'Acceptance'), h('div', { class: 'row' },
      field('Metric', h('input', { id: 'f-metric', value: 'accuracy', readonly: true })), field('Threshold (0..1)', f.threshold))));

  const element = h('section', {}, h('h1', {}, 'Publish a training task'),
    h('form', { id: 'publish-form', novalidate: true, onsubmit: onPublish },
      summary,
      h('fieldset', {}, h('legend', {}, 'Template'), h('div', { class: 'row' },
        field('Start from a template', f.template, 'PyTorch classifiers fill the form; other frameworks open as spec JSON'),
        h('label', { class: 'check' }, f.advanced, 'Spec JSON (advanced)')), templateStatus),
      ...simpleSections,
      jsonSection,
      h('fieldset', {}, h('legend', {}, 'Your own data'), h('div', { class: 'row' },
        field('Dataset file (optional upload)', f.dataset, 'stored content-addressed; its URI goes in the spec as dataset.uri'))),
      h('fieldset', {}, h('legend', {}, 'Budget and market'), h('div', { class: 'row' },
        field('Token', f.token), field('Budget', f.budget, 'whole tokens, e.g. 0.5'), field('Replication (nodes)', f.replication),
        field('Collateral per node (NNT)', f.collateral), field('Application window (s)', f.apply_window), field('Deadline (s from now)', f.deadline),
        field('Strategy', f.strategy), field('Minimum hardware class', f.min_class), field('Minimum reputation (0..10000)', f.min_reputation))),
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'secondary', id: 'estimate-button', onclick: onEstimate }, 'Estimate (dry run)'),
        h('button', { type: 'submit', id: 'publish-button' }, 'Publish'))),
    estimate, result);
  return { element };
}
