// Running a page's transactions with the connected wallet: each step list gets the wallet's signer,
// and a failure (a refused check, a rejected signature, a decoded revert) becomes one error line under
// the action's label. Payment helpers for ETH or ERC-20 amounts: the balance, and an approval only
// when the allowance is short. Each transaction shows its own state in the list (tx.js).
import { ethers } from '/vendor/ethers.js';
import { getDeployment } from '../chain.js';
import { h } from '../dom.js';
import { amount } from '../format.js';
import { send } from '../tx.js';
import * as wallet from '../wallet.js';

export function errorLine(text) {
  return h('p', { class: 'error', role: 'alert' }, text);
}

// Runs `steps(signer)`; resolves to {ok: true, value} or, after appending `${label}: reason` to
// `message`, to {ok: false}.
export async function withSigner(label, steps, message) {
  try {
    return { ok: true, value: await steps(await wallet.signer()) };
  } catch (err) {
    message.append(errorLine(`${label}: ${err.reason || err.message}`));
    return { ok: false };
  }
}

// Renders the current page again (the router listens for hash changes).
export function reloadPage() {
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

// `act(label, steps)` for pages whose actions each stand alone: clears `message`, runs the steps,
// and calls `after` (by default: render the page again, with the new chain state) when they succeed.
export function actionRunner(message, { after = reloadPage } = {}) {
  return async (label, steps) => {
    message.replaceChildren();
    const outcome = await withSigner(label, steps, message);
    if (outcome.ok) after(outcome.value);
    return outcome;
  };
}

export function isEth(token) {
  return BigInt(token) === 0n;
}

// An ERC-20 token at `address` (the deployment's NNToken ABI covers the standard calls).
export function erc20(address, runner) {
  return new ethers.Contract(address, getDeployment().abis.NNToken, runner);
}

// What `account` holds of `token` (ETH for the zero address), in base units.
export async function tokenBalance(runner, token, account) {
  return isEth(token) ? runner.provider.getBalance(account) : erc20(token, runner).balanceOf(account);
}

// Approves `spender` for `value` of `token` (an ethers contract) unless `owner` already allows as much.
export async function approveIfNeeded(token, owner, spender, value, symbol) {
  const allowance = await token.allowance(owner, spender);
  if (allowance < value) await send(`Approve ${amount(value, symbol)}`, token.approve, [spender, value]);
}

// The first log of `receipt` that `contract` parses as event `name`, or null.
export function findEvent(receipt, contract, name) {
  for (const log of receipt.logs) {
    let parsed = null;
    try { parsed = contract.interface.parseLog(log); } catch (_) { parsed = null; }
    if (parsed && parsed.name === name) return parsed;
  }
  return null;
}
