// Governance: delegate NNT votes; proposals (vote, queue, execute) and disputes (vote to slash or
// release) as far as the deployment has a governor and an arbitration contract. Without them the
// page says so instead of offering actions that cannot work.
import { ethers } from '/vendor/ethers.js';
import { api } from '../api.js';
import { abiHas, contract, getDeployment } from '../chain.js';
import { badge, empty, h, table } from '../dom.js';
import { amount, short } from '../format.js';
import { send } from '../tx.js';
import * as wallet from '../wallet.js';
import { actionRunner } from '../components/transaction-flow.js';
import { proposeForm } from '../governance/propose-form.js';

export async function governancePage() {
  const d = getDeployment();
  const message = h('div', { id: 'gov-message', 'aria-live': 'polite' });
  const [proposals, disputes, parameters] = await Promise.all([api.get('/proposals'), api.get('/disputes'),
    api.get('/proposals/parameters')]);
  const account = wallet.state.account;
  const act = actionRunner(message);

  const sections = [h('h1', {}, 'Governance'), message];
  const votes = h('div', { class: 'card', id: 'votes' }, h('h2', {}, 'Voting power'));
  if (!account) {
    votes.append(empty('Connect a wallet to delegate votes.'));
  } else if (abiHas('NNToken', 'delegate')) {
    const reader = wallet.reader();
    const token = contract('NNToken', reader);
    const [balance, power, delegatee] = await Promise.all([token.balanceOf(account), token.getVotes(account), token.delegates(account)]);
    votes.append(h('dl', { class: 'kv' },
      h('dt', {}, 'NNT balance'), h('dd', {}, amount(balance, 'NNT')),
      h('dt', {}, 'Votes'), h('dd', { id: 'vote-power', 'data-wei': power.toString() }, amount(power, 'NNT')),
      h('dt', {}, 'Delegated to'), h('dd', { class: 'mono', id: 'delegatee' }, delegatee === ethers.ZeroAddress ? 'nobody (votes inactive)' : delegatee)),
    h('div', { class: 'actions' }, h('button', { id: 'delegate-self', onclick: () => act('Delegate',
      (signer) => send('Delegate votes to myself', contract('NNToken', signer).delegate, [account])) }, 'Delegate to myself')));
  }
  sections.push(votes);

  const governor = proposals.contracts[0];
  const proposalBox = h('div', { class: 'card', id: 'proposals' }, h('h2', {}, 'Proposals'));
  if (!proposals.available) {
    proposalBox.append(empty('This deployment has no governor contract yet: parameters are set by the admin.'));
  } else if (proposals.items.length === 0) {
    proposalBox.append(empty('No proposals yet.'));
  } else {
    proposalBox.append(table(['Proposal', 'State', 'Description', 'Votes', 'Actions'], proposals.items.map((p) => {
      const args = [p.targets, p.values.map(BigInt), p.calldatas, ethers.id(p.description || '')];
      return [short(p.id), badge(p.state), p.description || '', String(p.votes.length), h('div', { class: 'actions', 'data-proposal': p.id },
        p.state === 'active' ? [['For', 1], ['Against', 0], ['Abstain', 2]].map(([label, support]) => h('button', {
          class: 'secondary', onclick: () => act('Vote', (s) => send(`Vote ${label}`, contract(governor, s).castVote, [p.id, support])) }, label)) : null,
        p.state === 'succeeded' && abiHas(governor, 'queue') ? h('button', { onclick: () => act('Queue', (s) => send('Queue proposal', contract(governor, s).queue, args)) }, 'Queue') : null,
        p.state === 'queued' || (p.state === 'succeeded' && !abiHas(governor, 'queue')) ? h('button', { onclick: () => act('Execute', (s) => send('Execute proposal', contract(governor, s).execute, args)) }, 'Execute') : null)];
    }), 'Proposals'));
  }
  sections.push(proposalBox);

  const arbitration = disputes.contracts[0];
  const disputeBox = h('div', { class: 'card', id: 'disputes' }, h('h2', {}, 'Disputes'));
  if (!disputes.available) {
    disputeBox.append(empty('This deployment has no arbitration contract yet: no disputes can be opened.'));
  } else if (disputes.items.length === 0) {
    disputeBox.append(empty('No disputes.'));
  } else {
    const canVote = abiHas(arbitration, 'vote');
    const canResolve = abiHas(arbitration, 'resolve');
    disputeBox.append(table(['Dispute', 'Task', 'Node', 'Status', 'Votes (slash / release)', 'Evidence', 'Actions'], disputes.items.map((x) => [
      x.id, x.task_id ? h('a', { href: `#/tasks/${x.task_id}` }, `#${x.task_id}`) : '—', x.node ? short(x.node) : '—', badge(x.status),
      `${amount(x.votes.slash, 'NNT')} / ${amount(x.votes.release, 'NNT')}`,
      x.evidence.length ? x.evidence.map((uri) => (/^https?:/.test(uri) ? h('a', { href: uri, rel: 'noopener' }, uri) : h('code', {}, uri))) : '—',
      x.status === 'open' ? h('div', { class: 'actions', 'data-dispute': x.id },
        canVote ? h('button', { onclick: () => act('Vote', (s) => send(`Vote to slash in dispute ${x.id}`, contract(arbitration, s).vote, [x.id, true])) }, 'Vote slash') : null,
        canVote ? h('button', { class: 'secondary', onclick: () => act('Vote', (s) => send(`Vote to release in dispute ${x.id}`, contract(arbitration, s).vote, [x.id, false])) }, 'Vote release') : null,
        canResolve ? h('button', { class: 'secondary', onclick: () => act('Resolve', (s) => send(`Resolve dispute ${x.id}`, contract(arbitration, s).resolve, [x.id])) }, 'Resolve') : null) : '—',
    ]), 'Disputes'));
  }
  sections.push(disputeBox);
  if (parameters.available && account) sections.push(proposeForm(parameters, act));
  return { element: h('section', {}, sections) };
}
