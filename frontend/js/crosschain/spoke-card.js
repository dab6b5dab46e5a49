// The dashboard card of the connected account on every spoke chain: what is credited there, in
// the native coin and in each ERC-20 (refunds, reclaimed budgets, node payouts of tasks paid from
// there; claimed on that chain, the wallet switching to it, or sent to the home chain over the
// token's warp route where the gateway has one: token-credits.js), where its node payouts of such
// tasks go (the origin chain by default, or the home chain: the home gateway's choice per node),
// and the escrows it opened, with a reclaim for a pending one past its deadline (never published
// at home).
import { amount, when } from '../format.js';
import { badge, empty, h, table } from '../dom.js';
import { send } from '../tx.js';
import * as wallet from '../wallet.js';
import { chainReader, creditsOf, escrowState, homeGateway, spokeGateway, spokes } from './spokes.js';
import { NATIVE, sendHomeControl, tokenRows } from './token-credits.js';

async function escrowsOf(spoke, account) {
  const gateway = spokeGateway(spoke);
  const logs = await gateway.queryFilter(gateway.filters.Published(null, account), Number(spoke.start_block || 0));
  const now = (await chainReader(spoke).getBlock('latest')).timestamp;
  return Promise.all(logs.slice(-20).map(async (log) => {
    const id = log.args.escrowId.toString();
    return { id, now, ...(await escrowState(spoke, id)) };
  }));
}

// The card, or null when the deployment has no spoke chain. `act(label, steps)` runs a transaction
// flow (components/transaction-flow.js actionRunner); its steps get the home signer, unused here.
export async function spokeCard(account, act) {
  if (!spokes().length) return null;
  const rows = [];
  for (const { spoke, credit, error } of await creditsOf(account)) {
    const claim = h('button', { id: `claim-spoke-${spoke.chain_id}`, disabled: !credit || credit === 0n || null,
      onclick: () => act(`Claim on ${spoke.name}`, async () => {
        const signer = await wallet.signerOn(spoke);
        await send(`Claim ${amount(credit, 'ETH')} on ${spoke.name}`, spokeGateway(spoke, signer).claim);
      }) }, `Claim on ${spoke.name}`);
    rows.push([spoke.name, String(spoke.chain_id),
      error ? h('span', { class: 'error' }, `unreachable: ${error}`) : h('span', { id: `spoke-credit-${spoke.chain_id}`, 'data-wei': String(credit) }, amount(credit, 'ETH')),
      claim, error ? '' : await sendHomeControl(spoke, account, credit, NATIVE, act)]);
    if (error) continue;
    try {
      rows.push(...await tokenRows(spoke, account, act));
    } catch (err) {
      rows.push([spoke.name, String(spoke.chain_id), h('span', { class: 'error' }, `token credits unreadable: ${err.shortMessage || err.message}`), '', '']);
    }
  }
  const escrowTables = [];
  for (const spoke of spokes()) {
    let escrows = [];
    try { escrows = await escrowsOf(spoke, account); } catch (_) { escrows = []; }
    if (!escrows.length) continue;
    escrowTables.push(table(['Escrow', 'Budget', 'Status', 'Home task', ''], escrows.map((e) => [
      `#${e.id}`, amount(e.budget, 'ETH'), badge(e.status.toLowerCase()),
      e.taskId && e.taskId !== 'refused' ? h('a', { href: `#/tasks/${e.taskId}` }, `#${e.taskId}`) : (e.taskId || '—'),
      e.status === 'Pending' && e.now > e.deadline
        ? h('button', { id: `reclaim-${spoke.chain_id}-${e.id}`, class: 'secondary', onclick: () => act(`Reclaim escrow ${e.id}`, async () => {
          const signer = await wallet.signerOn(spoke);
          await send(`Reclaim escrow ${e.id} on ${spoke.name}`, spokeGateway(spoke, signer).reclaim, [e.id]);
        }) }, 'Reclaim')
        : (e.status === 'Pending' ? `reclaimable after ${when(e.deadline)}` : '')]), `Escrows on ${spoke.name}`));
  }
  return h('div', { class: 'card', id: 'spoke-chains' }, h('h2', {}, 'Other chains'),
    h('p', { class: 'muted' }, 'Tasks paid from a spoke chain: refunds, reclaimed budgets and node payouts are credited there, '
      + 'in the coin or token the task was paid in, and claimed there, or sent to the home chain where a warp route carries the token.'),
    table(['Chain', 'Chain id', 'Credited', '', 'To another chain'], rows, 'Credits on spoke chains'),
    await payoutChoice(account, act),
    ...(escrowTables.length ? escrowTables : [empty('No escrows opened from this account.')]));
}

// Where the account's node payouts of tasks paid from a spoke are credited, with the switch.
async function payoutChoice(account, act) {
  const gateway = homeGateway();
  if (!gateway) return '';
  const onHome = await gateway.paidOnHome(account);
  const choose = (home) => act(home ? 'Be paid on the home chain' : "Be paid on each task's origin chain",
    async (signer) => send(home ? 'Be paid on the home chain' : "Be paid on each task's origin chain",
      homeGateway(signer).setPaidOnHome, [home]));
  return h('p', { id: 'payout-chain', 'data-on-home': String(onHome) },
    onHome ? 'Your node payouts of these tasks are credited on the home chain (claimed above). '
      : "Your node payouts of these tasks are credited on each task's origin chain (the default). ",
    h('button', { id: 'payout-chain-switch', class: 'secondary', onclick: () => choose(!onHome) },
      onHome ? "Be paid on the origin chain" : 'Be paid on the home chain'));
}
