// A spec's dry-run estimate: the API validates the spec, then trains a few steps and reports compute
// units, parameters, training memory and time. The panel shows progress, then the card; problems are
// returned for the page to show where its other problems go.
import { api } from '../api.js';
import { h } from '../dom.js';
import { FRAMEWORKS } from '../frameworks.js';

function byteSize(bytes) {
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

const na = (value, show) => (value === null || value === undefined ? 'n/a' : show(value));

// Why the API did not time a dry run (it reports steps_measured 0); `runtimes` is GET /runtimes or null.
function untimed(spec, runtimes) {
  const installed = runtimes ? runtimes.items.map((r) => r.framework) : null;
  if (installed && !installed.includes(spec.framework)) {
    return `not timed: this API server has no ${spec.framework} runtime; run \`nnc task dry-run\` on a node that has it`;
  }
  if (spec.inference) return 'not timed: an inference task is priced by its forward passes (its inputs in batches), not dry-run';
  if (spec.dataset && spec.dataset.uri) return 'not timed: the data are stored elsewhere; run `nnc task dry-run` on a node';
  return 'too large to time on the API server: run `nnc task dry-run` on a node';
}

export function estimateCard(spec, e, runtimes) {
  return h('div', { class: 'card', id: 'estimate-result' }, h('h2', {}, 'Dry-run estimate'), h('dl', { class: 'kv' },
    h('dt', {}, 'Framework'), h('dd', { id: 'estimate-framework' }, FRAMEWORKS[spec.framework] ? `${FRAMEWORKS[spec.framework]} (${spec.framework})` : spec.framework),
    h('dt', {}, 'Compute units'), h('dd', { id: 'estimate-cu' }, e.compute_units),
    h('dt', {}, 'Parameters'), h('dd', { id: 'estimate-parameters' }, na(e.parameters, (p) => p.toLocaleString('en'))),
    h('dt', {}, 'Training memory'), h('dd', { id: 'estimate-memory' }, na(e.memory_bytes, byteSize)),
    h('dt', {}, 'Time here'), h('dd', { id: 'estimate-time' }, e.steps_measured > 0
      ? `${e.estimated_seconds.toFixed(2)} s (${(e.seconds_per_step * 1000).toFixed(2)} ms/step over ${e.steps_measured} steps)`
      : untimed(spec, runtimes))));
}

// The panel (`element`) and `run(spec)`, which resolves to {estimate, problems, specValid}: the estimate
// or null, the problems to show ([] with an estimate), and whether the API found the spec valid (null
// when it could not be asked).
export function estimatePanel({ runtimes = null } = {}) {
  const element = h('div', { id: 'estimate', 'aria-live': 'polite' });
  return {
    element,
    clear() { element.replaceChildren(); },
    async run(spec) {
      element.replaceChildren(h('p', { class: 'muted' }, 'Dry run: training a few steps…'));
      let specValid = null;
      try {
        const verdict = await api.postJson('/specs/validate', spec);
        specValid = verdict.valid;
        if (!verdict.valid) {
          element.replaceChildren();
          return { estimate: null, problems: verdict.problems, specValid };
        }
        const estimate = await api.postJson('/specs/estimate', spec);
        element.replaceChildren(estimateCard(spec, estimate, runtimes));
        return { estimate, problems: [], specValid };
      } catch (err) {
        element.replaceChildren();
        return { estimate: null, problems: [err.message], specValid };
      }
    },
  };
}
