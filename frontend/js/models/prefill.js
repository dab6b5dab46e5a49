// Specs that start from a model of the library, for the publish flow: "Fine-tune this" (the model's
// own training spec starting from it) and "Run inference" (the model run over a dataset). Pure
// functions of the model's spec (GET /api/models/{id}/spec) and of the model (GET /api/models/{id}).
const NAME_MAX = 200; // TaskSpec.name

export const MODES = ['finetune', 'inference'];
// Outputs of an inference task (nnc/task/inference_spec.py): a classifier's scores or classes.
export const INFERENCE_DEFAULTS = { batch_size: 64, shard_size: 256, decimals: 4, outputs: 'classes' };

function named(text) { return text.length > NAME_MAX ? text.slice(0, NAME_MAX) : text; }

function copy(spec) { return JSON.parse(JSON.stringify(spec)); }

// The model's training spec starting from model `id` (`base_model`), under a new name: the same
// architecture (which the weights must fit), data and schedule, for the requester to change.
// Weights named by `init` give way to the base model; privacy is the new requester's own choice.
export function fineTuneSpec(spec, id) {
  const out = copy(spec);
  delete out.init;
  delete out.privacy;
  delete out.inference;
  out.name = named(`${spec.name} fine-tuned from model #${id}`);
  out.base_model = { id: Number(id) };
  return out;
}

// An inference task running model `id` over `inputs` inputs of the model's dataset (the requester
// names its own data: dataset.uri and inference.inputs), with neither training nor acceptance.
export function inferenceSpec(spec, id, { inputs = null, ...options } = {}) {
  const out = { version: spec.version ?? 1, name: named(`${spec.name}: inference with model #${id}`), framework: spec.framework,
    model: copy(spec.model), dataset: copy(spec.dataset), determinism: copy(spec.determinism), base_model: { id: Number(id) } };
  if (spec.program) out.program = copy(spec.program);
  if (spec.execution) out.execution = copy(spec.execution);
  const settings = { ...INFERENCE_DEFAULTS, ...options };
  const count = Number.isInteger(inputs) && inputs > 0 ? inputs : settings.shard_size;
  const shard = Math.min(settings.shard_size, count);
  out.inference = { inputs: count, batch_size: Math.min(settings.batch_size, shard), shard_size: shard,
    decimals: settings.decimals, outputs: settings.outputs };
  return out;
}

// The publish flow's address for a model and a mode.
export function publishHash(id, mode) {
  return `#/publish?${new URLSearchParams({ 'from-model': String(id), mode })}`;
}

// What a publish address asks to pre-fill ({model, mode}), or null; `problem` when it is malformed.
export function prefillRequest(query) {
  const params = new URLSearchParams(query || '');
  if (!params.has('from-model')) return null;
  const raw = params.get('from-model');
  const model = /^[1-9][0-9]{0,18}$/.test(raw) ? Number(raw) : null;
  const mode = params.get('mode') || 'finetune';
  if (model === null) return { problem: `from-model must be a model id (got "${raw}")` };
  if (!MODES.includes(mode)) return { problem: `mode must be ${MODES.join(' or ')} (got "${mode}")` };
  return { model, mode };
}

// The prefilled spec for a request: `spec` is the model's spec, `inputs` how many inputs its
// dataset holds (null when unknown).
export function prefilledSpec(request, spec, inputs = null) {
  return request.mode === 'inference' ? inferenceSpec(spec, request.model, { inputs }) : fineTuneSpec(spec, request.model);
}
