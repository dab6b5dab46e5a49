// Where a home task was paid from: a task the home gateway published for a spoke escrow records its
// origin (Hyperlane domain), escrow id and payer; its refund is credited on that spoke, where the
// payer claims it, and so is each node's payout (the home gateway is the market's payout router),
// unless the node asked to be paid on the home chain; the protocol fee stays on the home chain.
import { h } from '../dom.js';
import { short } from '../format.js';
import { ENUMS } from '../generated/protocol.js';
import { homeGateway, spokes } from './spokes.js';

// {spoke, escrowId, payer, relayed} for a bridged task, or null (home task, or no home gateway).
export async function originOf(taskId) {
  const gateway = homeGateway();
  if (!gateway) return null;
  const b = await gateway.bridged(taskId);
  if (Number(b.origin) === 0) return null;
  const spoke = spokes().find((s) => Number(s.domain) === Number(b.origin))
    || { name: `domain ${b.origin}`, chain_id: b.origin, domain: Number(b.origin) };
  const payouts = (await gateway.routedPayouts(taskId)).map((p) => ({ node: p.node, amount: p.amount }));
  return { spoke, escrowId: b.escrowId.toString(), payer: b.payer, payouts,
    relayed: ENUMS.BridgedStatus[Number(b.status)] === 'Relayed' };
}

// The task page's lines about a bridged task's origin.
export function originLines(origin) {
  return [h('dt', {}, 'Paid from'), h('dd', { id: 'task-origin', 'data-chain': String(origin.spoke.chain_id), 'data-relayed': String(origin.relayed) },
    `${origin.spoke.name} (escrow ${origin.escrowId}, payer `, h('span', { class: 'mono', title: origin.payer }, short(origin.payer)), '): ',
    origin.relayed ? `settlement sent back to ${origin.spoke.name}; the refund and the nodes' payouts credited there are claimable there.`
      : `the refund and the nodes' payouts will be credited on ${origin.spoke.name} once the task is final and its settlement relayed.`)];
}

// The chain where a payout of a bridged task is credited: `node`'s on the origin chain when the home
// gateway routed it there, else the home chain (the fee, and nodes that asked for home).
export function payoutChain(origin, node) {
  const routed = origin.payouts.some((p) => p.node.toLowerCase() === String(node).toLowerCase());
  return routed ? origin.spoke.name : 'home';
}
