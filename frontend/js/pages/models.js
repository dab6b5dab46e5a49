// The model library: every listed model with its framework, metric, both rating averages (verified
// users, stakers), licence and verification, filtered and sorted by the API (GET /api/models).
import { api } from '../api.js';
import { empty, field, h, table } from '../dom.js';
import { frameworkName } from '../frameworks.js';
import { DOMAINS, FILTER_FIELDS, FRAMEWORK_IDS, LICENCES, SORTS, metricText, modelQuery, ratingTexts } from '../models/filters.js';

function options(values, anyText = 'any') {
  return [h('option', { value: '' }, anyText), ...values.map(([value, text]) => h('option', { value }, text))];
}

function filterInputs() {
  return {
    domain: h('select', { id: 'filter-domain' }, options(DOMAINS.map((d) => [d, d]))),
    framework: h('select', { id: 'filter-framework' }, options(FRAMEWORK_IDS.map((f) => [f, frameworkName(f)]))),
    metric: h('input', { id: 'filter-metric', placeholder: 'accuracy', maxlength: 64, list: 'metric-names' }),
    min_rating: h('select', { id: 'filter-min-rating' }, options([1, 2, 3, 4, 5].map((n) => [String(n), `${n}★ or more`]))),
    licence: h('input', { id: 'filter-licence', placeholder: 'MIT', maxlength: 64, list: 'licence-ids' }),
    verified: h('input', { id: 'filter-verified', type: 'checkbox' }),
    sort: h('select', { id: 'filter-sort' }, SORTS.map(([value, text]) => h('option', { value }, text))),
  };
}

function row(m) {
  const ratings = ratingTexts(m.ratings);
  return [
    h('span', {}, h('a', { href: `#/models/${m.id}`, 'data-model': m.id }, `#${m.id}`), ' ',
      h('span', { class: 'mono muted', title: m.model_uri }, m.model_uri.length > 28 ? `${m.model_uri.slice(0, 27)}…` : m.model_uri)),
    m.domain || '—', frameworkName(m.framework) || '—', metricText(m),
    h('span', { 'data-role': 'verified-rating' }, ratings.verified), h('span', { 'data-role': 'staked-rating' }, ratings.staked),
    m.licence, m.verified ? h('span', { class: 'badge confirmed' }, 'verified') : h('span', { class: 'badge' }, 'unverified'),
  ];
}

export async function modelsPage() {
  const f = filterInputs();
  const list = h('div', { id: 'model-list', 'aria-live': 'polite' });
  let loading = 0;

  async function load() {
    const id = ++loading;
    const values = Object.fromEntries(FILTER_FIELDS.map((name) => [name, f[name].type === 'checkbox' ? f[name].checked : f[name].value]));
    try {
      const page = await api.get(`/models?${modelQuery(values)}`);
      if (id !== loading) return;
      list.dataset.query = modelQuery(values);
      if (page.items.length === 0) { list.replaceChildren(empty('No models match.')); return; }
      list.replaceChildren(table(['Model', 'Domain', 'Framework', 'Metric', 'Verified users', 'Stakers', 'Licence', ''],
        page.items.map(row), 'Models'), h('p', { class: 'muted' }, `${page.total} model(s)`));
    } catch (err) {
      if (id === loading) list.replaceChildren(h('p', { class: 'error', role: 'alert' }, err.message));
    }
  }

  for (const input of Object.values(f)) input.addEventListener(input.tagName === 'INPUT' && input.type !== 'checkbox' ? 'input' : 'change', load);
  await load();
  const element = h('section', {}, h('h1', {}, 'Models'),
    h('p', { class: 'muted' }, 'Every model a settled task trained (verified, with its provenance) and every model shared from elsewhere. '
      + 'Ratings count twice apart: by verified users (who paid for a task using the model) and by stakers (weighted by the NNT staked).'),
    h('datalist', { id: 'licence-ids' }, LICENCES.map((l) => h('option', { value: l }))),
    h('datalist', { id: 'metric-names' }, ['accuracy', 'perplexity', 'loss'].map((m) => h('option', { value: m }))),
    h('div', { class: 'card actions', id: 'model-filters' }, field('Domain', f.domain), field('Framework', f.framework), field('Metric', f.metric),
      field('Minimum rating', f.min_rating), field('Licence (SPDX)', f.licence), h('label', { class: 'check' }, f.verified, 'Verified only'),
      field('Sort', f.sort)),
    list);
  return { element };
}
