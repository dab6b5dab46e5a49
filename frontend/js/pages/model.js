// One model's card: provenance (the task that trained it, its spec, program and dataset, digests,
// scorer), lineage (ancestors and children), owners with shares, ratings with their reviews, a
// verified download, a Rate form, and "Fine-tune this" / "Run inference" into the publish flow.
import { api } from '../api.js';
import { contract, getDeployment, has } from '../chain.js';
import { empty, field, h, table } from '../dom.js';
import { amount, short, when } from '../format.js';
import { frameworkName } from '../frameworks.js';
import * as wallet from '../wallet.js';
import { actionRunner, errorLine, erc20 } from '../components/transaction-flow.js';
import { FieldChecks } from '../forms/checks.js';
import { bindForm } from '../forms/binder.js';
import { metricText, ratingTexts } from '../models/filters.js';
import { verifiedDownload } from '../models/download.js';
import { publishHash } from '../models/prefill.js';
import { rateModel, ratingFromValues, stakeProblem } from '../models/rating.js';

const link = (id) => h('a', { href: `#/models/${id}`, 'data-model-link': id }, `#${id}`);
const mono = (text) => h('span', { class: 'mono', title: text }, text || '—');

function provenance(m) {
  const rows = [
    ['Status', m.verified ? h('span', {}, h('span', { class: 'badge confirmed' }, 'verified'), ' by task ', h('a', { href: `#/tasks/${m.verified_by}`, id: 'model-verified-by' }, `#${m.verified_by}`))
      : h('span', { class: 'badge' }, 'unverified: shared from elsewhere, no task provenance')],
    ['Trained by', m.task_id ? h('a', { href: `#/tasks/${m.task_id}`, id: 'model-task' }, `task #${m.task_id}`) : '—'],
    ['Framework', frameworkName(m.framework) || '—'], ['Domain', m.domain || '—'],
    ['Metric', h('span', { id: 'model-metric' }, metricText(m))], ['Scored by', m.scored_by],
    ['Licence', h('span', { id: 'model-licence' }, m.licence)], ['Visibility', m.visibility],
    ['Model', mono(m.model_uri)], ['Model digest', mono(m.model_digest)],
    ['Spec', mono(m.spec_uri)], ['Spec digest', mono(m.spec_digest)],
    ['Program', m.program_uri ? mono(m.program_uri) : '—'], ['Program digest', m.program_digest ? mono(m.program_digest) : '—'],
    ['Dataset', mono(m.dataset_uri)],
    ['Listed by', mono(m.registrant)], ['Listed at', when(m.registered_at)],
  ];
  return h('dl', { class: 'kv', id: 'model-provenance' }, rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function lineage(m) {
  const chain = [link(m.id), ...m.lineage.map(link)];
  return h('div', { class: 'card', id: 'model-lineage' }, h('h2', {}, 'Lineage'),
    h('p', {}, 'Ancestors: ', m.lineage.length ? chain.flatMap((a, i) => (i ? [' ← ', a] : [a])) : 'none (a root model)'),
    h('p', { id: 'model-children' }, 'Fine-tuned into: ', m.children.length ? m.children.flatMap((c, i) => (i ? [', ', link(c)] : [link(c)])) : 'none yet'));
}

function owners(m) {
  return h('div', { class: 'card', id: 'model-owners' }, h('h2', {}, 'Owners'),
    table(['Account', 'Share'], m.owners.map((o) => [mono(o.account), `${o.share_bps / 100}%`]), 'Owners'));
}

// One rating: stars, rater, whether a verified user, its stake, and its review's text (read by the
// API from storage) or, when that cannot be shown, the review's URI and why.
function ratingItem(r, review) {
  let text = h('span', { class: 'muted' }, 'no review');
  if (review && review.review !== null) text = h('span', { 'data-role': 'review' }, review.review);
  else if (r.review_uri) text = h('span', { class: 'muted' }, 'review at ', mono(r.review_uri), review && review.problem ? ` (${review.problem})` : '');
  return h('li', { 'data-rater': r.rater },
    h('strong', { 'aria-label': `${r.stars} of 5 stars` }, `${'★'.repeat(r.stars)}${'☆'.repeat(5 - r.stars)}`), ' by ', mono(short(r.rater)), ' ',
    r.use_weight_bps ? h('span', { class: 'badge confirmed' }, 'verified user') : null,
    BigInt(r.stake || 0) > 0n ? ` staking ${amount(r.stake, 'NNT')}` : '', h('br'), text);
}

async function ratingsSection(m) {
  const texts = ratingTexts(m.ratings);
  const summary = h('p', { id: 'model-ratings-summary' }, 'Verified users: ', h('strong', { id: 'rating-verified' }, texts.verified),
    ' · stakers: ', h('strong', { id: 'rating-staked' }, texts.staked),
    m.ratings && m.ratings.total_stake !== undefined ? ` (${amount(m.ratings.total_stake, 'NNT')} staked)` : '');
  let list = empty('No ratings yet.');
  if (has('ModelRatings')) {
    const [page, reviews] = await Promise.all([api.get(`/models/${m.id}/ratings?limit=100`), api.get(`/models/${m.id}/reviews?limit=100`)]
      .map((p) => p.catch((err) => ({ error: err.message }))));
    const reviewOf = new Map((reviews.items || []).map((r) => [r.rater.toLowerCase(), r]));
    if (page.error) list = h('p', { class: 'error', role: 'alert' }, `Ratings could not be loaded: ${page.error}`);
    else if (page.items.length) list = h('ul', { id: 'model-reviews' }, page.items.map((r) => ratingItem(r, reviewOf.get(r.rater.toLowerCase()))));
  }
  return h('div', { class: 'card', id: 'model-ratings' }, h('h2', {}, 'Ratings and reviews'), summary, list);
}

function downloadSection(m) {
  const out = h('div', { id: 'download-result', 'aria-live': 'polite' });
  const button = h('button', { type: 'button', id: 'download-button', class: 'secondary', onclick: async () => {
    button.disabled = true;
    out.replaceChildren(h('p', { class: 'muted' }, 'Fetching the model file through the API, which checks it first…'));
    const got = await verifiedDownload(m.id);
    button.disabled = false;
    if (!got.ok) { out.replaceChildren(h('p', { class: 'error', role: 'alert', id: 'download-verdict', 'data-ok': 'false' }, got.text)); return; }
    const url = URL.createObjectURL(new Blob([got.bytes], { type: 'application/octet-stream' }));
    out.replaceChildren(h('p', { class: 'ok', id: 'download-verdict', 'data-ok': 'true', 'data-sha256': got.sha256 }, got.text),
      h('a', { href: url, download: `model-${m.id}.pt`, id: 'download-link', class: 'button' }, `Save model-${m.id}.pt (${got.size} bytes)`));
  } }, 'Verified download');
  const sealed = m.visibility === 'sealed';
  return h('div', { class: 'card', id: 'model-download' }, h('h2', {}, 'Download'),
    sealed ? h('p', { class: 'muted' }, 'This model is sealed: its file is encrypted to its owners\' keys. Use nnc model get with an owner\'s key.')
      : h('div', {}, h('p', { class: 'muted' }, 'The API server checks the weights against the registered digest before sending them; '
        + 'this browser then checks the SHA-256 of the bytes it receives.'), button, out));
}

async function rateSection(m) {
  if (!has('ModelRatings')) return h('div', { class: 'card', id: 'model-rate' }, h('h2', {}, 'Rate'), empty('This deployment has no ModelRatings contract.'));
  const account = wallet.state.account;
  if (!account) return h('div', { class: 'card', id: 'model-rate' }, h('h2', {}, 'Rate'), empty('Connect a wallet to rate this model.'));
  const d = getDeployment();
  const ratings = contract('ModelRatings', wallet.state.browserProvider);
  const [mine, useWeight, minStake, balance] = await Promise.all([ratings.ratingOf(m.id, account), ratings.useWeightOf(m.id, account),
    ratings.minRatingStake(), erc20(d.addresses.NNToken, wallet.state.browserProvider).balanceOf(account)]);
  const isOwner = m.owners.some((o) => o.account.toLowerCase() === account.toLowerCase());
  const staked = BigInt(mine.stake);
  const needsStake = !Number(useWeight) && staked < minStake;
  const f = {
    stars: h('select', { id: 'rate-stars', name: 'stars' }, [5, 4, 3, 2, 1].map((n) => h('option', { value: String(n), selected: Number(mine.stars) === n ? true : null }, `${n}★`))),
    review: h('textarea', { id: 'rate-review', name: 'review', rows: '4' }),
    stake: h('input', { id: 'rate-stake', name: 'stake', inputmode: 'decimal', placeholder: '0', value: needsStake ? amount(minStake - staked) : '' }),
  };
  const summary = h('div', { id: 'rate-errors', class: 'errors', role: 'alert', tabindex: '-1' });
  const form = bindForm(f, summary);
  const message = h('div', { id: 'rate-message', 'aria-live': 'polite' });
  const act = actionRunner(message);
  const status = Number(useWeight)
    ? `You are a verified user of this model (use weight ${Number(useWeight) / 100}%): a stake is optional.`
    : `You have not paid for a task using this model: your rating needs at least ${amount(minStake, 'NNT')} staked on it (locked for a while after each change, then claimable once you withdraw the rating).`;
  async function onSubmit(event) {
    event.preventDefault();
    const checks = new FieldChecks();
    const rating = ratingFromValues(form.values(), checks);
    if (!form.report(checks)) return;
    const problem = stakeProblem({ stake: rating.stake, staked, useWeightBps: Number(useWeight), minStake, isOwner, balance });
    if (problem) { f.stake.setAttribute('aria-invalid', 'true'); form.fail([`Stake (NNT): ${problem}`]); return; }
    await act('Not rated', (signer) => rateModel(signer, account, m.id, rating, mine.reviewURI));
  }
  return h('div', { class: 'card', id: 'model-rate' }, h('h2', {}, 'Rate'),
    h('p', { class: 'muted', id: 'rate-status' }, status),
    Number(mine.stars) ? h('p', { id: 'rate-mine' }, `Your rating: ${mine.stars}★${BigInt(mine.stake) > 0n ? `, ${amount(mine.stake, 'NNT')} staked` : ''}. Rating again changes it.`) : null,
    isOwner ? errorLine('You own a share of this model: owners cannot rate their own model.') : null,
    h('form', { id: 'rate-form', novalidate: true, onsubmit: onSubmit }, summary,
      h('div', { class: 'row' }, field('Stars', f.stars), field('Stake (NNT)', f.stake, 'extra NNT to add to your rating\'s stake')),
      field('Review', f.review, Number(mine.stars) ? 'leave empty to keep your current review' : 'stored content-addressed (IPFS on a network); its URI goes on chain with your rating'),
      h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'rate-button', disabled: isOwner ? true : null }, 'Rate'))),
    message);
}

export async function modelPage(id) {
  const m = await api.get(`/models/${id}`);
  const [ratings, rate] = await Promise.all([ratingsSection(m), rateSection(m)]);
  const element = h('section', { id: 'model-card', 'data-model': m.id }, h('h1', {}, `Model #${m.id}`),
    h('div', { class: 'actions card' },
      h('a', { class: 'button', id: 'finetune-link', href: publishHash(m.id, 'finetune') }, 'Fine-tune this'),
      h('a', { class: 'button', id: 'inference-link', href: publishHash(m.id, 'inference') }, 'Run inference'),
      h('a', { href: '#/models' }, 'All models')),
    h('div', { class: 'card' }, h('h2', {}, 'Provenance'), provenance(m)),
    lineage(m), owners(m), ratings, downloadSection(m), rate);
  return { element };
}
