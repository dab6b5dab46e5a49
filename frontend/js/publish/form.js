// The publish form: its inputs with their defaults, the selects filled from the API (templates,
// tokens, strategies), its sections, and the mapping between a spec and the form's values. The form
// expresses a PyTorch classifier on a bundled classification set; anything else is edited as JSON.
import { field, h } from '../dom.js';
import { frameworkName } from '../frameworks.js';

export const DATASETS = [['sklearn-digits', 'sklearn-digits (8×8 digit images)'], ['synthetic-tones', 'synthetic-tones (audio clips)'],
  ['synthetic-motion', 'synthetic-motion (video clips)']];
export const DETERMINISM = { threads: 1, digest_decimals: 6 };

// The inputs a spec fills (the rest are the market's terms, the upload and the JSON editor).
export const SPEC_FIELDS = ['name', 'kind', 'layers', 'dataset_name', 'eval_fraction', 'seed', 'steps', 'batch_size', 'learning_rate',
  'optimizer', 'checkpoint_interval', 'threshold'];
export const MARKET_FIELDS = ['token', 'budget', 'replication', 'collateral', 'apply_window', 'deadline', 'strategy', 'min_class',
  'min_reputation'];

function input(name, attrs) { return h('input', { id: `f-${name}`, name, ...attrs }); }

const INPUTS = {
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
  dataset: () => h('input', { id: 'f-dataset', name: 'dataset', type: 'file' }),
};

// Every input of the form by field name, with its default; `params` is GET /params, `templates` the
// example specs of GET /templates.
export function createInputs(params, templates) {
  const f = Object.fromEntries(Object.entries(INPUTS).map(([name, make]) => [name, make()]));
  f.template = h('select', { id: 'f-template', name: 'template', 'aria-describedby': 'template-status' },
    h('option', { value: '' }, 'None: fill in the form'),
    templates.map((t) => h('option', { value: t.id },
      `${t.name} (${frameworkName(t.framework)} ${t.model_kind} on ${t.dataset})${t.runtime_installed ? '' : ', not timed here'}`)));
  f.token = h('select', { id: 'f-token', name: 'token' },
    params.tokens.filter((t) => t.allowed).map((t) => h('option', { value: t.address, 'data-symbol': t.symbol }, t.symbol)));
  f.strategy = h('select', { id: 'f-strategy', name: 'strategy' },
    params.strategies.filter((s) => s.allowed).map((s) => h('option', { value: s.address }, s.name)));
  return f;
}

// The symbol of the token chosen to pay in.
export function tokenSymbol(f) { return f.token.selectedOptions[0].dataset.symbol; }

// Whether the form can express a spec: a PyTorch classifier on a bundled classification set.
export function fitsForm(spec) {
  const m = spec && spec.model;
  const d = spec && spec.dataset;
  return Boolean(spec && typeof spec === 'object' && spec.framework === 'torch' && m && ['mlp', 'cnn'].includes(m.kind)
    && Array.isArray(m.kind === 'mlp' ? m.hidden : m.channels) && d && DATASETS.some(([n]) => n === d.name) && !d.uri
    && !spec.privacy && spec.acceptance && spec.acceptance.metric === 'accuracy' && spec.training);
}

// The form's values for a spec that fits it.
export function valuesFromSpec(spec) {
  const m = spec.model;
  const t = spec.training;
  return {
    name: spec.name, kind: m.kind, layers: (m.kind === 'mlp' ? m.hidden : m.channels).join(','), dataset_name: spec.dataset.name,
    eval_fraction: spec.dataset.eval_fraction, seed: t.seed, steps: t.steps, batch_size: t.batch_size, learning_rate: t.learning_rate,
    optimizer: t.optimizer, checkpoint_interval: t.checkpoint_interval, threshold: spec.acceptance.threshold,
  };
}

// What a spec built from the form keeps of the spec that last filled it (the form has no inputs for
// them): its determinism, and its dataset digest while the same dataset stays chosen.
export const NO_SOURCE = { determinism: DETERMINISM, dataset: null, digest: null };

export function sourceOf(spec) {
  return { determinism: spec.determinism || DETERMINISM, dataset: spec.dataset.name, digest: spec.dataset.digest || null };
}

// The fieldsets of the simple form (hidden while the spec is edited as JSON).
export function specSections(f) {
  return [
    h('fieldset', {}, h('legend', {}, 'Model'), h('div', { class: 'row' },
      field('Task name', f.name), field('Model kind', f.kind), field('Layer widths', f.layers, 'hidden widths (MLP) or channels (CNN)'),
      field('Framework', h('input', { id: 'f-framework', value: 'PyTorch (torch)', readonly: true })))),
    h('fieldset', {}, h('legend', {}, 'Data'), h('div', { class: 'row' },
      field('Dataset', f.dataset_name), field('Evaluation fraction', f.eval_fraction))),
    h('fieldset', {}, h('legend', {}, 'Hyper-parameters'), h('div', { class: 'row' },
      field('Seed', f.seed), field('Steps', f.steps), field('Batch size', f.batch_size), field('Learning rate', f.learning_rate),
      field('Optimizer', f.optimizer), field('Checkpoint interval', f.checkpoint_interval))),
    h('fieldset', {}, h('legend', {}, 'Acceptance'), h('div', { class: 'row' },
      field('Metric', h('input', { id: 'f-metric', value: 'accuracy', readonly: true })), field('Threshold (0..1)', f.threshold))),
  ];
}

export function jsonSection(f) {
  return h('fieldset', { id: 'spec-json-section', hidden: true }, h('legend', {}, 'The whole spec'),
    field('Spec JSON', f.spec_json, 'validated by the API (problems appear at the top), dry-run and published as written; an uploaded dataset\'s URI is added as dataset.uri'));
}

export function templateSection(f, status) {
  return h('fieldset', {}, h('legend', {}, 'Template'), h('div', { class: 'row' },
    field('Start from a template', f.template, 'PyTorch classifiers fill the form; other frameworks open as spec JSON'),
    h('label', { class: 'check' }, f.advanced, 'Spec JSON (advanced)')), status);
}

export function marketSections(f) {
  return [
    h('fieldset', {}, h('legend', {}, 'Your own data'), h('div', { class: 'row' },
      field('Dataset file (optional upload)', f.dataset, 'stored content-addressed; its URI goes in the spec as dataset.uri'))),
    h('fieldset', {}, h('legend', {}, 'Budget and market'), h('div', { class: 'row' },
      field('Token', f.token), field('Budget', f.budget, 'whole tokens, e.g. 0.5'), field('Replication (nodes)', f.replication),
      field('Collateral per node (NNT)', f.collateral), field('Application window (s)', f.apply_window), field('Deadline (s from now)', f.deadline),
      field('Strategy', f.strategy), field('Minimum hardware class', f.min_class), field('Minimum reputation (0..10000)', f.min_reputation))),
  ];
}
