// Publishing from a spoke chain: the spec stored by the API as for a home task, the task's windows
// counted from the home chain's latest block (where the market checks them), then
// SpokeGateway.publish on the spoke with the budget plus the Hyperlane fee in the spoke's native
// coin, or, in an ERC-20 the spoke allow-lists, an approval and SpokeGateway.publishToken (the fee
// still in native coin; the route checked first: routed at home, the home pool large enough). The home gateway publishes the task once the relayer delivers the message; until then the
// escrow is followed by `followEscrow`, and a PUBLISH never acknowledged by its deadline is
// reclaimable on the spoke.
import { ethers } from '/vendor/ethers.js';
import { api } from '../api.js';
import { nextBlockTime } from '../chain.js';
import { amount, when } from '../format.js';
import { h } from '../dom.js';
import { send } from '../tx.js';
import * as wallet from '../wallet.js';
import { findEvent } from '../components/transaction-flow.js';
import { chainReader, encodeTaskParams, escrowState, homeChain, homeGateway, spokeGateway } from './spokes.js';

const ERC20 = ['function approve(address spender, uint256 amount) returns (bool)',
  'function allowance(address owner, address spender) view returns (uint256)',
  'function balanceOf(address account) view returns (uint256)', 'function decimals() view returns (uint8)'];

// Why `account` cannot pay `market.budget` plus the fee on `spoke`, or null when it can.
export async function spokeShortfall(spoke, account, market, fee) {
  const balance = await chainReader(spoke).getBalance(account);
  const needed = market.budget + fee;
  if (balance >= needed) return null;
  return `Budget: your balance on ${spoke.name} is ${amount(balance, 'ETH')}, less than ${amount(needed, 'ETH')} (budget plus the Hyperlane fee).`;
}

// The task's parameters as the home market will check them, encoded for the spoke gateway.
async function homeTaskParams(spec, market) {
  const stored = await api.postJson('/specs', spec);
  const now = await nextBlockTime(chainReader(homeChain()));
  return encodeTaskParams({
    specDigest: stored.spec_digest, specURI: stored.uri, token: ethers.ZeroAddress, budget: market.budget,
    replication: market.replication, strategy: market.strategy, collateral: market.collateral,
    minHardwareClass: market.minClass, applyDeadline: now + market.applyWindow, deadline: now + market.deadline,
    computeUnits: stored.compute_units, minReputation: market.minReputation,
  });
}

// The budget in `token`'s own units: `budget` was read as 18-decimal whole units (the form's ETH).
export async function tokenBudget(spoke, token, budget) {
  const decimals = Number(await new ethers.Contract(token, ERC20, chainReader(spoke)).decimals());
  if (decimals === 18) return { budget };
  const scale = 10n ** BigInt(Math.abs(18 - decimals));
  if (decimals > 18) return { budget: budget * scale };
  if (budget % scale !== 0n) return { problem: `Budget: this token has ${decimals} decimals; use at most ${decimals} after the point.` };
  return { budget: budget / scale };
}

// Why a budget of `budget` in `token` on `spoke` would be refused or cannot be paid, or null.
async function tokenProblem(spoke, account, token, symbol, budget, fee) {
  const home = homeGateway();
  const homeToken = home ? await home.tokenRoutes(spoke.domain, token) : ethers.ZeroAddress;
  if (homeToken === ethers.ZeroAddress) return `Token: ${symbol} has no route to the home chain; the task would be refused.`;
  const pool = await home.tokenLiquidity(homeToken);
  if (pool < budget) return `Budget: the home pool of ${symbol} holds ${pool} base units, less than the budget (${budget}); the task would be refused.`;
  const held = await new ethers.Contract(token, ERC20, chainReader(spoke)).balanceOf(account);
  if (held < budget) return `Budget: you hold ${held} base units of ${symbol} on ${spoke.name}, less than the budget (${budget}).`;
  const coin = await chainReader(spoke).getBalance(account);
  if (coin < fee) return `Fee: your balance on ${spoke.name} is ${amount(coin, 'ETH')}, less than the Hyperlane fee ${amount(fee, 'ETH')}.`;
  return null;
}

// Escrows `budget` of ERC-20 `token` on `spoke` (approving the gateway first) and sends PUBLISH_TOKEN
// home; resolves like `publishOnSpoke`.
export async function publishTokenOnSpoke(spoke, account, spec, market, token, symbol) {
  const encoded = await homeTaskParams(spec, market);
  const fee = await spokeGateway(spoke).quotePublishToken(token, encoded);
  const problem = await tokenProblem(spoke, account, token, symbol, market.budget, fee);
  if (problem) return { problem };
  const signer = await wallet.signerOn(spoke);
  const gateway = spokeGateway(spoke, signer);
  const erc20 = new ethers.Contract(token, ERC20, signer);
  if ((await erc20.allowance(account, spoke.addresses.SpokeGateway)) < market.budget) {
    await send(`Approve ${symbol} for the ${spoke.name} gateway`, erc20.approve, [spoke.addresses.SpokeGateway, market.budget]);
  }
  const receipt = await send(`Publish "${spec.name}" from ${spoke.name} in ${symbol}`, gateway.publishToken,
    [token, market.budget, encoded], { value: fee });
  const event = findEvent(receipt, gateway, 'PublishedToken');
  return { escrowId: event.args.escrowId.toString(), fee, deadline: Number(event.args.deadline) };
}

// Escrows the budget on `spoke` and sends the PUBLISH home; resolves to {escrowId, fee, deadline}, or
// {problem} when the account cannot pay (nothing sent then).
export async function publishOnSpoke(spoke, account, spec, market) {
  const encoded = await homeTaskParams(spec, market);
  const fee = await spokeGateway(spoke).quotePublish(encoded);
  const problem = await spokeShortfall(spoke, account, market, fee);
  if (problem) return { problem };
  const signer = await wallet.signerOn(spoke);
  const gateway = spokeGateway(spoke, signer);
  const receipt = await send(`Publish "${spec.name}" from ${spoke.name}`, gateway.publish, [encoded], { value: market.budget + fee });
  const event = findEvent(receipt, gateway, 'Published');
  return { escrowId: event.args.escrowId.toString(), fee, deadline: Number(event.args.deadline) };
}

// A live line for escrow `escrowId`: polls both chains until the home chain published the task (a
// link to it), refused it, or the escrow was reclaimed. Returns {element, stop}.
export function followEscrow(spoke, escrowId, { interval = 1000 } = {}) {
  const line = h('p', { id: 'escrow-status', 'data-escrow': escrowId, 'data-state': 'pending', role: 'status' },
    `Escrow ${escrowId} on ${spoke.name}: waiting for the home chain to publish the task (Hyperlane relayer)…`);
  let timer = null;
  let stopped = false;
  async function poll() {
    if (stopped) return;
    try {
      const s = await escrowState(spoke, escrowId);
      if (s.taskId === 'refused' || s.status === 'Reclaimed') {
        line.dataset.state = 'refused';
        line.replaceChildren(`Escrow ${escrowId}: ${s.status === 'Reclaimed' ? 'reclaimed' : 'refused by the home chain'}; `,
          `reclaim the budget on ${spoke.name} after ${when(s.deadline)} from the node dashboard.`);
        return;
      }
      if (s.taskId) {
        line.dataset.state = 'published';
        line.dataset.task = s.taskId;
        line.replaceChildren(`Escrow ${escrowId} on ${spoke.name} is task ${s.taskId} (${s.status.toLowerCase()} on ${spoke.name}). `,
          h('a', { href: `#/tasks/${s.taskId}` }, 'Follow it'));
        return;
      }
    } catch (err) {
      line.dataset.error = err.shortMessage || err.message;
    }
    timer = setTimeout(poll, interval);
  }
  poll();
  return { element: line, stop() { stopped = true; if (timer) clearTimeout(timer); } };
}
