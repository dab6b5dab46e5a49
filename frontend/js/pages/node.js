// Node dashboard for the connected account: register (with a hardware profile document), stake,
// unbond, withdraw, claim; reputation, assignments and earnings over time.
import { ethers } from '/vendor/ethers.js';
import { api } from '../api.js';
import { contract, getDeployment, has } from '../chain.js';
import { earningsChart } from '../chart.js';
import { badge, empty, field, h, table } from '../dom.js';
import { amount, short, tokenSymbol, when } from '../format.js';
import { CONSTANTS } from '../generated/protocol.js';
import { send } from '../tx.js';
import * as wallet from '../wallet.js';
import { actionRunner, approveIfNeeded, errorLine } from '../components/transaction-flow.js';
import { spokeCard } from '../crosschain/spoke-card.js';

export async function nodePage() {
  const d = getDeployment();
  const account = wallet.state.account;
  if (!account) {
    return { element: h('section', {}, h('h1', {}, 'Node dashboard'), empty('Connect a wallet to see its node.')) };
  }
  const node = await api.get(`/nodes/${account}`);
  const message = h('div', { id: 'node-message', 'aria-live': 'polite' });
  const act = actionRunner(message);

  function amountForm(id, label, button, onSubmit) {
    const inputEl = h('input', { id, inputmode: 'decimal', required: true, placeholder: '100' });
    return h('form', { class: 'actions', novalidate: true, onsubmit: async (e) => {
      e.preventDefault();
      let value;
      try { value = ethers.parseEther(inputEl.value.trim()); } catch (_) { value = null; }
      if (value === null || value <= 0n) {
        inputEl.setAttribute('aria-invalid', 'true');
        message.replaceChildren(errorLine(`${label}: enter a positive amount of NNT`));
        return;
      }
      inputEl.setAttribute('aria-invalid', 'false');
      await onSubmit(value);
    } }, field(label, inputEl), h('button', { type: 'submit', id: `${id}-button` }, button));
  }

  const sections = [h('h1', {}, 'Node dashboard'), message];
  if (!node.registered) {
    const profile = h('input', { id: 'profile-file', type: 'file', accept: 'application/json', required: true });
    sections.push(h('div', { class: 'card', id: 'register' }, h('h2', {}, 'Register this account as a node'),
      h('p', { class: 'muted' }, 'Upload the hardware profile document written by the nnc worker (its digest is registered on chain).'),
      h('form', { class: 'actions', onsubmit: (e) => { e.preventDefault(); act('Register', async (signer) => {
        if (!profile.files.length) throw new Error('choose a profile document first');
        const stored = await api.upload('profile', profile.files[0]);
        await send('Register node', contract('NodeRegistry', signer).register, [stored.profile_digest, stored.hardware_class]);
      }); } }, field('Hardware profile (JSON)', profile), h('button', { type: 'submit', id: 'register-button' }, 'Register'))));
  }
  const s = node.stake;
  const ready = Number(s.unbond_ready_at);
  sections.push(h('div', { class: 'grid' },
    h('div', { class: 'card', id: 'node-stake' }, h('h2', {}, 'Stake'), h('dl', { class: 'kv' },
      h('dt', {}, 'Status'), h('dd', {}, node.registered ? badge('registered') : badge('not registered')),
      h('dt', {}, 'Staked'), h('dd', { id: 'staked', 'data-wei': s.staked }, amount(s.staked, 'NNT')),
      h('dt', {}, 'Locked'), h('dd', {}, amount(s.locked, 'NNT')),
      h('dt', {}, 'Free'), h('dd', { id: 'free-stake' }, amount(s.free, 'NNT')),
      h('dt', {}, 'Unbonding'), h('dd', { id: 'unbonding', 'data-wei': s.unbonding }, `${amount(s.unbonding, 'NNT')}${ready ? ` (ready ${when(ready)})` : ''}`),
      h('dt', {}, 'Minimum stake'), h('dd', {}, amount(s.min_stake, 'NNT')),
      h('dt', {}, 'Wallet'), h('dd', {}, amount(node.balances.nnt, 'NNT')))),
    h('div', { class: 'card' }, h('h2', {}, 'Reputation'), h('p', { id: 'reputation', class: 'mono' }, `${node.reputation} / ${CONSTANTS['Reputation.MAX']}`),
      h('meter', { min: 0, max: CONSTANTS['Reputation.MAX'], low: 3000, high: 7000, optimum: CONSTANTS['Reputation.MAX'], value: node.reputation, 'aria-label': 'Reputation' }),
      h('p', { class: 'muted' }, `hardware class ${node.profile.hardware_class}, benchmark ${node.profile.benchmark_score || 'not attested'}`)),
    h('div', { class: 'card', id: 'claimable' }, h('h2', {}, 'Claimable'), h('dl', { class: 'kv' },
      h('dt', {}, 'ETH'), h('dd', { id: 'claim-eth', 'data-wei': node.claimable.eth }, amount(node.claimable.eth, 'ETH')),
      h('dt', {}, 'NNT'), h('dd', {}, amount(node.claimable.nnt, 'NNT')),
      h('dt', {}, 'NNT bonus'), h('dd', { id: 'claim-bonus', 'data-wei': node.claimable.bonus_nnt || '0' },
        amount(node.claimable.bonus_nnt || '0', 'NNT'))),
    h('div', { class: 'actions' },
      h('button', { id: 'claim-eth-button', disabled: BigInt(node.claimable.eth) === 0n || null,
        onclick: () => act('Claim ETH', (sg) => send('Claim ETH', contract('TaskMarket', sg).claim, [ethers.ZeroAddress])) }, 'Claim ETH'),
      h('button', { id: 'claim-nnt-button', disabled: BigInt(node.claimable.nnt) === 0n || null,
        onclick: () => act('Claim NNT', (sg) => send('Claim NNT', contract('TaskMarket', sg).claim, [d.addresses.NNToken])) }, 'Claim NNT'),
      has('RewardsPool') ? h('button', { id: 'claim-bonus-button', disabled: BigInt(node.claimable.bonus_nnt || '0') === 0n || null,
        onclick: () => act('Claim bonus', (sg) => send('Claim NNT bonus', contract('RewardsPool', sg).claim)) }, 'Claim bonus') : null))));

  sections.push(h('div', { class: 'card' }, h('h2', {}, 'Manage stake'),
    amountForm('stake-amount', 'Stake (NNT)', 'Approve and stake', (value) => act('Stake', async (signer) => {
      await approveIfNeeded(contract('NNToken', signer), account, d.addresses.NodeRegistry, value, 'NNT');
      await send(`Stake ${amount(value, 'NNT')}`, contract('NodeRegistry', signer).stake, [value]);
    })),
    amountForm('unbond-amount', 'Unbond (NNT)', 'Request unbond', (value) => act('Unbond',
      (signer) => send(`Unbond ${amount(value, 'NNT')}`, contract('NodeRegistry', signer).requestUnbond, [value]))),
    h('div', { class: 'actions' }, h('button', { id: 'withdraw-button', class: 'secondary', disabled: BigInt(s.unbonding) === 0n || null,
      onclick: () => act('Withdraw', (sg) => send('Withdraw unbonded stake', contract('NodeRegistry', sg).withdraw)) }, 'Withdraw unbonded stake'))));

  const spokes = await spokeCard(account, act);
  if (spokes) sections.push(spokes);

  const series = {};
  for (const e of node.earnings) {
    const symbol = e.kind === 'bonus' ? 'NNT bonus' : tokenSymbol(e.token, d);
    (series[symbol] ||= []).push({ timestamp: e.timestamp, value: BigInt(e.amount) });
  }
  sections.push(h('div', { class: 'card chart', id: 'earnings' }, h('h2', {}, 'Earnings over time'),
    node.earnings.length ? earningsChart(series, Number(node.profile.registered_at) || node.earnings[0].timestamp, node.earnings[node.earnings.length - 1].timestamp) : empty('No earnings yet.'),
    node.earnings.length ? table(['Task', 'When', 'Amount', 'Kind'], node.earnings.map((e) => [
      h('a', { href: `#/tasks/${e.task_id}` }, `#${e.task_id}`), when(e.timestamp),
      amount(e.amount, e.kind === 'bonus' ? 'NNT' : tokenSymbol(e.token, d)), e.kind]), 'Earnings') : null));
  sections.push(h('div', { class: 'card', id: 'assignments' }, h('h2', {}, 'Assignments'),
    node.assignments.length ? table(['Task', 'Status', 'Assigned', 'Paid'], node.assignments.map((a) => [
      h('a', { href: `#/tasks/${a.task_id}` }, `#${a.task_id}`), badge(a.status), a.assigned ? 'yes' : 'applied',
      a.paid ? amount(a.paid, tokenSymbol(a.token, d)) : '—']), 'Assignments') : empty('No tasks yet.')));
  sections.push(h('div', { class: 'card' }, h('h2', {}, 'History'),
    node.history.length ? table(['Block', 'Event', 'Task', 'By'], node.history.slice(0, 50).map((e) => [
      e.block, e.name, e.task_id ? h('a', { href: `#/tasks/${e.task_id}` }, `#${e.task_id}`) : '—', short(e.actor)]), 'History')
      : empty('No history.')));
  return { element: h('section', { id: 'node-dashboard', 'data-address': account }, sections) };
}
