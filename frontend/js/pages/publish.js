// Publish: a task spec (from the form, or as JSON for what the form cannot express), dataset upload,
// budget and token; everything is validated (here, then by the API's spec validation and dry run)
// before any transaction. ERC-20 budgets are approved first. Templates are the API's example specs:
// a PyTorch classifier fills the form, any other opens as editable spec JSON. A model's card opens
// this page pre-filled (#/publish?from-model=ID&mode=finetune|inference) with a spec starting from it.
import { api } from '../api.js';
import { h } from '../dom.js';
import { amount, when } from '../format.js';
import { frameworkName } from '../frameworks.js';
import * as wallet from '../wallet.js';
import { estimatePanel } from '../components/estimate-card.js';
import { withSigner } from '../components/transaction-flow.js';
import { bindForm } from '../forms/binder.js';
import { FieldChecks } from '../forms/checks.js';
import {
  MARKET_FIELDS, NO_SOURCE, SPEC_FIELDS, createInputs, fitsForm, jsonSection, marketSections, sourceOf, specSections,
  templateSection, tokenSymbol, valuesFromSpec,
} from '../publish/form.js';
import { attachDataset, budgetShortfall, publishTask } from '../publish/transaction.js';
import { marketFromValues, specFromJson, specFromValues } from '../publish/validation.js';
import { prefillRequest, prefilledSpec } from '../models/prefill.js';
import { followEscrow, publishOnSpoke, publishTokenOnSpoke, tokenBudget } from '../crosschain/publish.js';
import { payChainSection, spokeOf } from '../crosschain/pay-chain.js';

export async function publishPage(query = '') {
  const [params, templateList, runtimes] = await Promise.all([api.get('/params'),
    api.get('/templates').catch((err) => ({ items: [], error: err.message })),
    api.get('/runtimes').catch(() => null)]);
  const templates = templateList.items;
  const f = createInputs(params, templates);
  const summary = h('div', { id: 'form-errors', class: 'errors', role: 'alert', tabindex: '-1' });
  const form = bindForm(f, summary);
  const estimate = estimatePanel({ runtimes });
  const result = h('div', { id: 'publish-result', 'aria-live': 'polite' });
  const templateStatus = h('p', { id: 'template-status', class: 'muted', role: 'status' },
    templateList.error ? `Templates could not be loaded: ${templateList.error}` : `${templates.length} example specs shipped with NNC.`);
  const simpleSections = specSections(f);
  const specJsonSection = jsonSection(f);
  let source = NO_SOURCE; // what the spec that last filled the form leaves to specs built from it
  const payChain = payChainSection(f.token); // null without spoke chains
  let following = null; // the escrow of the last cross-chain publish, polled until home publishes it

  function jsonMode() { return f.advanced.checked; }

  function showJson(on) {
    f.advanced.checked = on;
    specJsonSection.hidden = !on;
    for (const section of simpleSections) section.hidden = on;
  }

  function fillForm(spec) {
    form.fill(valuesFromSpec(spec));
    source = sourceOf(spec);
  }

  function formSpec(checks) { return specFromValues(form.values(SPEC_FIELDS), source, checks); }

  function onTemplate() {
    const t = templates.find((x) => x.id === f.template.value);
    form.clearSummary();
    estimate.clear();
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
      templateStatus.textContent = `${t.id} is a ${frameworkName(t.framework)} spec the form cannot express: edit its JSON below.`;
    }
  }

  function onAdvanced() {
    form.clearSummary();
    estimate.clear();
    if (f.advanced.checked) {
      const checks = new FieldChecks();
      f.spec_json.value = JSON.stringify(formSpec(checks), null, 2);
      form.mark(checks);
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

  // Every field checked here; {spec, market}, or null with the problems shown.
  function collect() {
    const checks = new FieldChecks();
    const spec = jsonMode() ? specFromJson(form.values(['spec_json']), checks) : formSpec(checks);
    const market = marketFromValues({ ...form.values(MARKET_FIELDS), symbol: tokenSymbol(f) }, params.settlement, checks);
    return form.report(checks) ? { spec, market } : null;
  }

  // The API's verdict and dry run; the estimate, or null with the problems shown.
  async function runEstimate(spec) {
    const outcome = await estimate.run(spec);
    if (jsonMode() && outcome.specValid !== null) f.spec_json.setAttribute('aria-invalid', outcome.specValid ? 'false' : 'true');
    if (!outcome.estimate) form.fail(outcome.problems);
    return outcome.estimate;
  }

  async function onEstimate(event) {
    event.preventDefault();
    const checked = collect();
    if (checked) await runEstimate(checked.spec);
  }

  async function onPublish(event) {
    event.preventDefault();
    result.replaceChildren();
    const checked = collect();
    if (!checked || !(await runEstimate(checked.spec))) return;
    const account = wallet.state.account;
    if (!account) { form.fail(['Connect a wallet to publish.']); return; }
    const { spec, market } = checked;
    const spoke = payChain ? spokeOf(payChain.select) : null;
    if (spoke) {
      if (f.dataset.files.length) { form.fail(['A task paid from another chain names its data by URI: upload it from the home chain first.']); return; }
      if (tokenSymbol(f) !== 'ETH') { form.fail([`Token: on ${spoke.name} choose what you pay in under "Pay on".`]); return; }
      const payToken = payChain.payToken.value;
      await withSigner('Not published', async () => {
        let out;
        if (payToken) {
          const symbol = payChain.payToken.selectedOptions[0].dataset.symbol;
          const scaled = await tokenBudget(spoke, payToken, market.budget);
          out = scaled.problem ? scaled : await publishTokenOnSpoke(spoke, account, spec, { ...market, budget: scaled.budget }, payToken, symbol);
        } else {
          out = await publishOnSpoke(spoke, account, spec, market);
        }
        if (out.problem) { form.fail([out.problem]); return; }
        if (following) following.stop();
        following = followEscrow(spoke, out.escrowId);
        result.append(h('p', { class: 'ok', id: 'published-escrow', 'data-escrow': out.escrowId },
          `Escrow ${out.escrowId} opened on ${spoke.name} (Hyperlane fee ${amount(out.fee, 'ETH')}); reclaimable after ${when(out.deadline)} if the home chain never publishes it.`),
        following.element);
      }, result);
      return;
    }
    await withSigner('Not published', async (signer) => {
      const shortfall = await budgetShortfall(signer, account, market);
      if (shortfall) { form.fail([shortfall]); return; }
      if (f.dataset.files.length) {
        const bar = h('progress', { id: 'dataset-progress', max: '1', value: '0' });
        result.append(h('p', {}, 'Uploading the dataset ', bar));
        const data = await attachDataset(spec, f.dataset.files[0], {
          dropDigest: !jsonMode(), onProgress: (sent, total) => { bar.max = String(total); bar.value = String(sent); } });
        result.append(h('p', {}, 'Dataset stored at ', h('code', {}, data.uri), data.sha256 ? ` (sha256 ${data.sha256.slice(0, 16)}…)` : ''));
      }
      const id = await publishTask(signer, account, spec, market);
      result.append(h('p', { class: 'ok', id: 'published-task', 'data-task': id }, `Task ${id} published. `, h('a', { href: `#/tasks/${id}` }, 'Follow it')));
    }, result);
  }

  // A spec starting from a model of the library, as JSON (the form has no base_model or inference).
  async function prefill(request) {
    if (request.problem) { templateStatus.textContent = `Cannot pre-fill: ${request.problem}.`; return; }
    const source = await api.get(`/models/${request.model}/spec`).catch((err) => ({ error: err.message }));
    if (source.error) { templateStatus.textContent = `Cannot pre-fill from model #${request.model}: ${source.error}`; return; }
    f.spec_json.value = JSON.stringify(prefilledSpec(request, source.spec, source.dataset_inputs), null, 2);
    showJson(true);
    templateStatus.dataset.prefill = request.mode;
    templateStatus.textContent = request.mode === 'inference'
      ? `An inference task running model #${request.model} (base_model) over its dataset: name your own inputs in dataset (uri, digest) and inference.inputs (how many).`
      : `Fine-tuning model #${request.model}: its training spec, starting from its weights (base_model). Change the data, schedule and name as you need.`;
  }

  const request = prefillRequest(query);
  if (request) await prefill(request);
  f.template.addEventListener('change', onTemplate);
  f.advanced.addEventListener('change', onAdvanced);
  const element = h('section', {}, h('h1', {}, request && request.mode === 'inference' ? 'Publish an inference task' : 'Publish a training task'),
    h('form', { id: 'publish-form', novalidate: true, onsubmit: onPublish },
      summary,
      templateSection(f, templateStatus),
      ...simpleSections,
      specJsonSection,
      ...marketSections(f),
      payChain ? payChain.element : null,
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'secondary', id: 'estimate-button', onclick: onEstimate }, 'Estimate (dry run)'),
        h('button', { type: 'submit', id: 'publish-button' }, 'Publish'))),
    estimate.element, result);
  return { element, cleanup() { if (following) following.stop(); } };
}
