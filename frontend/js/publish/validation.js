// The publish form's values checked field by field (before the API validates and dry-runs the spec):
// the task spec they describe, or the spec JSON as written, and the market terms. Pure functions of
// the raw values ({field: text}); each problem is recorded on `checks` under the field's name.
const DAY = 86400;

// The spec the simple form describes; `source` is what the spec that last filled it leaves (form.js).
export function specFromValues(values, source, checks) {
  const name = checks.required('name', values.name);
  const layers = checks.positiveIntegers('layers', values.layers);
  const steps = checks.number('steps', values.steps, { min: 1, max: 1000000 });
  const dataset = { name: values.dataset_name, eval_fraction: checks.number('eval_fraction', values.eval_fraction, { integer: false, min: 0.01, max: 0.5 }) };
  if (source.digest && source.dataset === dataset.name) dataset.digest = source.digest;
  return {
    version: 1, name, framework: 'torch',
    model: values.kind === 'mlp' ? { kind: 'mlp', hidden: layers, channels: [] } : { kind: 'cnn', hidden: [], channels: layers },
    dataset,
    training: { seed: checks.number('seed', values.seed, { min: 0 }), steps,
      batch_size: checks.number('batch_size', values.batch_size, { min: 1, max: 4096 }),
      learning_rate: checks.number('learning_rate', values.learning_rate, { integer: false, min: 1e-9 }), optimizer: values.optimizer,
      checkpoint_interval: checks.number('checkpoint_interval', values.checkpoint_interval, { min: 1, max: Number.isFinite(steps) ? steps : 1e6 }) },
    acceptance: { metric: 'accuracy', threshold: checks.number('threshold', values.threshold, { integer: false, min: 0, max: 1 }) },
    determinism: { ...source.determinism },
  };
}

// The spec JSON as written, if it parses to an object.
export function specFromJson(values, checks) {
  return checks.jsonObject('spec_json', values.spec_json, 'a task spec');
}

// The market terms; `settlement` is the protocol's settlement parameters (GET /params): the market
// needs at least min_execution_window seconds between the applications' close and the deadline.
export function marketFromValues(values, settlement, checks) {
  const applyWindow = checks.number('apply_window', values.apply_window, { min: 1, max: 30 * DAY });
  const minExecution = Math.max(1, Number(settlement.min_execution_window ?? 1));
  return {
    token: values.token, symbol: values.symbol,
    budget: checks.amount('budget', values.budget, 18, { positive: true }),
    replication: checks.number('replication', values.replication, { min: 1, max: 8 }),
    collateral: checks.amount('collateral', values.collateral, 18), applyWindow,
    deadline: checks.number('deadline', values.deadline, { min: applyWindow + minExecution, max: 365 * DAY }),
    strategy: values.strategy, minClass: checks.number('min_class', values.min_class, { min: 0, max: 255 }),
    minReputation: checks.number('min_reputation', values.min_reputation, { min: 0, max: 10000 }),
  };
}
