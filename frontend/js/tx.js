// Sending a transaction with visible state: pending (with its hash), confirmed (block), or failed
// with the decoded revert reason. Every call is simulated first, so a revert costs no gas.
import { h } from './dom.js';
import { describeError } from './chain.js';
import { short } from './format.js';

let counter = 0;
const MAX_SHOWN = 3;

function entry(label) {
  const id = `tx-${++counter}`;
  const status = h('span', { class: 'badge pending', 'data-role': 'status' }, 'pending');
  const detail = h('div', { class: 'muted', 'data-role': 'detail' }, 'waiting for the wallet…');
  const close = h('button', { class: 'secondary', 'aria-label': `dismiss ${label}`, onclick: () => item.remove() }, '×');
  const item = h('li', { class: 'tx pending', id, 'data-label': label }, close, h('strong', {}, label), ' ', status, detail);
  const list = document.getElementById('txs');
  list.prepend(item);
  // Older entries that are settled leave the screen; the latest few stay until dismissed.
  [...list.children].slice(MAX_SHOWN).filter((el) => el.dataset.state !== 'pending').forEach((el) => el.remove());
  return {
    item,
    set(kind, text) {
      item.className = `tx ${kind}`;
      item.dataset.state = kind;
      status.className = `badge ${kind}`;
      status.textContent = kind;
      detail.textContent = text;
    },
  };
}

// `method` is an ethers contract method (e.g. market.publish), `args` its arguments, `overrides` {value}.
export async function send(label, method, args = [], overrides = {}) {
  const ui = entry(label);
  try {
    await method.staticCall(...args, overrides);
  } catch (err) {
    ui.set('failed', describeError(err));
    throw new TxFailed(label, describeError(err));
  }
  let tx;
  try {
    tx = await method(...args, overrides);
  } catch (err) {
    ui.set('failed', describeError(err));
    throw new TxFailed(label, describeError(err));
  }
  ui.set('pending', `sent ${short(tx.hash)}, waiting for a block…`);
  ui.item.dataset.hash = tx.hash;
  try {
    const receipt = await tx.wait();
    ui.set('confirmed', `confirmed in block ${receipt.blockNumber} (${short(tx.hash)})`);
    return receipt;
  } catch (err) {
    ui.set('failed', describeError(err));
    throw new TxFailed(label, describeError(err));
  }
}

export class TxFailed extends Error {
  constructor(label, reason) { super(`${label} failed: ${reason}`); this.reason = reason; }
}
