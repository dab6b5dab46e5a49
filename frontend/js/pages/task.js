// One task: its parameters, its live timeline (the audit trace: every on-chain event with block,
// transaction and actor), its payouts, a data-parallel task's round timeline and, once listed, its
// model in the library. Refreshes until the task reaches a final state.
import { api } from '../api.js';
import { getDeployment } from '../chain.js';
import { describeRoundEvent, roundTimeline } from '../components/round-timeline.js';
import { badge, empty, h, table } from '../dom.js';
import { amount, short, tokenSymbol, when } from '../format.js';
import { ENUMS } from '../generated/protocol.js';
import { originLines, originOf, payoutChain } from '../crosschain/origin.js';

const FINAL = new Set(['settled', 'cancelled', 'expired', 'slashed', 'failed']);
const STATUSES = ENUMS.TaskStatus.map((s) => s.toLowerCase()); // by value, as the API names them
const ABANDON_REASONS = ['a resource limit', 'an invalid task', 'a node fault']; // ITaskMarket.AbandonReason

function describe(e, symbol) {
  const a = e.args;
  switch (e.name) {
    case 'TaskPublished': return `published with a budget of ${amount(a.budget, symbol)}, replication ${a.replication}`;
    case 'TaskStatusChanged': return `status → ${STATUSES[Number(a.to)]}`;
    case 'NodeApplied': return `node ${short(a.node)} applied`;
    case 'TaskAssigned': return `assigned to ${a.nodes.map(short).join(', ')}`;
    case 'CollateralLocked': return `${amount(a.amount, 'NNT')} collateral of ${short(a.node)} locked`;
    case 'CollateralReleased': return `${amount(a.amount, 'NNT')} collateral of ${short(a.node)} released`;
    case 'SnapshotPosted': return `${short(a.node)} snapshot at step ${a.step}`;
    case 'ResultSubmitted': return `${short(a.node)} submitted result ${a.agreementKey.slice(0, 12)}…`;
    case 'QualityReported': return `quality ${Number(a.score) / 100}% reported`;
    case 'NodePaid': return `${short(a.node)} paid ${amount(a.amount, symbol)}`;
    case 'BonusGranted': return `${short(a.node)} granted a bonus of ${amount(a.amount, 'NNT')}`;
    case 'TaskAbandoned': return `${short(a.node)} gave the task up (${ABANDON_REASONS[Number(a.reason)] ?? `reason ${a.reason}`}): ${amount(a.slashed, 'NNT')} collateral to the treasury; the others go on`;
    case 'NodeMissed': return `${short(a.node)} missed the deadline: ${amount(a.slashed, 'NNT')} collateral to the treasury`;
    case 'TaskTied': return `no majority: open to challenges until ${new Date(Number(a.endsAt) * 1000).toLocaleString()}, then every replica is paid`;
    case 'NodeFrozen': return `${short(a.node)} outvoted: ${amount(a.collateral, 'NNT')} collateral frozen until ${new Date(Number(a.until) * 1000).toLocaleString()}`;
    case 'NodeSlashed': return `${short(a.node)} slashed by arbitration: ${amount(a.collateral, 'NNT')} collateral`;
    case 'ApplicantDropped': return `applicant ${short(a.node)} no longer eligible: ${amount(a.forfeited, 'NNT')} forfeited`;
    case 'TaskExpired': return `expired: refund ${amount(a.refund, symbol)}`;
    case 'CollateralSlashed': return `${amount(a.amount, 'NNT')} collateral of ${short(a.node)} slashed`;
    case 'TaskSettled': return `settled: paid ${amount(a.paid, symbol)}, fee ${amount(a.fee, symbol)}, refund ${amount(a.refund, symbol)}`;
    case 'ReputationUpdated': return `reputation of ${short(a.node)}: ${a.previous} → ${a.current}`;
    default: return describeRoundEvent(e) ?? Object.entries(a).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : v}`).join(' ');
  }
}

export async function taskPage(id) {
  const d = getDeployment();
  const summary = h('div', { class: 'card', id: 'task-summary', 'aria-live': 'polite', 'aria-atomic': 'false' });
  const payouts = h('div', { id: 'payouts' });
  const model = h('div', { id: 'task-model' });
  const rounds = h('div', { id: 'task-rounds' });
  const timeline = h('ol', { class: 'timeline', id: 'timeline', 'aria-label': 'Timeline' });
  let timer = null;
  let shown = null;

  async function load() {
    const [task, trace, origin] = await Promise.all([api.get(`/tasks/${id}`), api.get(`/tasks/${id}/trace`),
      originOf(id).catch(() => null)]);
    const version = `${task.status}:${task.updated_block}:${trace.events.length}:${origin ? origin.relayed : ''}`;
    if (version === shown) return; // nothing new: leave the page (and screen readers) alone
    shown = version;
    const symbol = task.token_symbol === 'ETH' || task.token_symbol === 'NNT' ? task.token_symbol : tokenSymbol(task.token, d);
    summary.replaceChildren(h('dl', { class: 'kv' },
      h('dt', {}, 'Status'), h('dd', { id: 'task-status', 'data-status': task.status }, badge(task.status)),
      h('dt', {}, 'Budget'), h('dd', {}, amount(task.budget, symbol)),
      h('dt', {}, 'Replication'), h('dd', {}, `${task.submissions} of ${task.chain.active ?? task.replication} active submitted (replication ${task.replication})`),
      h('dt', {}, 'Strategy'), h('dd', {}, task.strategy_name || task.strategy),
      h('dt', {}, 'Compute units'), h('dd', {}, task.chain.compute_units),
      h('dt', {}, 'Quality'), h('dd', { id: 'task-quality' }, task.quality === null ? '— (unscored: neutral 50%)'
        : `${task.quality / 100}%${task.accepted === false ? ', rejected: below the acceptance threshold (compute paid only)' : ''}`),
      ...(task.tied ? [h('dt', {}, 'Tie'), h('dd', { id: 'task-tie' }, `no strict majority: open to challenges until ${when(task.tie_ends_at)}, then every replica is paid`)] : []),
      h('dt', {}, 'Spec'), h('dd', { class: 'mono' }, task.spec_uri),
      h('dt', {}, 'Requester'), h('dd', { class: 'mono' }, task.requester),
      ...(origin ? originLines(origin) : []),
      h('dt', {}, 'Deadlines'), h('dd', {}, `apply by ${when(task.apply_deadline)}, results by ${when(task.deadline)}`)));
    if (task.paid !== null) {
      // a task paid from a spoke: each payout's chain (nodes on the origin chain unless they asked for home)
      const where = (chain) => (origin ? [h('span', { class: 'payout-chain', 'data-chain': chain }, chain)] : []);
      const rows = task.nodes.filter((n) => n.paid).map((n) => [h('span', { class: 'mono' }, n.node), amount(n.paid, symbol),
        n.bonus ? amount(n.bonus, 'NNT') : '—', ...where(origin ? payoutChain(origin, n.node) : '')]);
      rows.push(['protocol fee', amount(task.fee, symbol), '', ...where('home')]);
      rows.push([origin ? 'refund to the payer' : 'refund to requester', amount(task.refund, symbol), '',
        ...where(origin ? origin.spoke.name : '')]);
      payouts.replaceChildren(h('h2', {}, 'Payouts'),
        table(['To', 'Amount', 'Bonus', ...(origin ? ['Credited on'] : [])], rows, 'Payouts'));
    } else {
      payouts.replaceChildren(h('h2', {}, 'Payouts'), empty('Nothing paid yet.'));
    }
    timeline.replaceChildren(...trace.events.map((e) => h('li', { 'data-event': e.name },
      h('strong', {}, e.name), ' ', describe(e, symbol), h('br'),
      h('span', { class: 'muted' }, `block ${e.block} · ${when(e.timestamp)} · ${e.contract} · by `,
        h('span', { class: 'mono', title: e.actor }, short(e.actor)), ' · tx ', h('span', { class: 'mono', title: e.tx }, short(e.tx))))));
    // Stop polling once the final status is in the timeline too: the status is read from the chain,
    // the timeline from the index, which may be a block behind when the status changes.
    // A data-parallel task's round book: its events (RoundBook's) are in the task's trace.
    if (trace.events.some((e) => e.contract === 'RoundBook')) rounds.replaceChildren(roundTimeline(await api.get(`/tasks/${id}/rounds`)));
    if (task.status === 'settled') await showModel();
    const traced = trace.events.some((e) => e.name === 'TaskStatusChanged' && STATUSES[Number(e.args.to)] === task.status);
    if (FINAL.has(task.status) && traced && timer) { clearInterval(timer); timer = null; }
  }

  // The model this task trained (or verified), once the library lists it.
  async function showModel() {
    if (model.dataset.model) return;
    const page = await api.get(`/models?task=${id}`).catch(() => null);
    const m = page && page.items[0];
    if (!m) { model.replaceChildren(h('h2', {}, 'Model'), empty('Not listed in the model library (yet).')); return; }
    model.dataset.model = String(m.id);
    const how = m.task_id === id ? 'trained by this task' : 'verified by this task';
    model.replaceChildren(h('h2', {}, 'Model'), h('p', {}, h('a', { href: `#/models/${m.id}`, id: 'task-model-link', 'data-model': m.id }, `Model #${m.id}`),
      ` in the library, ${how}: ${m.licence}, ${m.framework || 'framework not stated'}`));
  }

  await load();
  timer = setInterval(() => load().catch(() => {}), 1500);
  const element = h('section', {}, h('h1', {}, `Task #${id}`), summary, model, payouts, rounds,
    h('h2', {}, 'Timeline'), h('p', { class: 'muted' }, 'Every on-chain event of this task, in chain order.'), timeline);
  return { element, cleanup: () => timer && clearInterval(timer) };
}
