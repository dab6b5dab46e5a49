// Contracts from the deployment's ABIs, and revert reasons decoded from every compiled custom error.
import { ethers } from '/vendor/ethers.js';
import { ENUMS, ERRORS } from './generated/protocol.js';

let deployment = null;
let errorsInterface = null;

export function setDeployment(d) {
  deployment = d;
  errorsInterface = new ethers.Interface(d.errors);
}

/** An error argument as a person reads it: an enum's member name (statuses, reasons), else the value. */
function readable(errorName, index, value) {
  const arg = (ERRORS[errorName] || [])[index];
  const members = arg && arg.enum ? ENUMS[arg.enum] : null;
  return members && members[Number(value)] !== undefined ? members[Number(value)] : value;
}

export function getDeployment() { return deployment; }

// The time the next block will carry, as the node tells: its pending block's timestamp, never
// before the latest block's. Deadlines a transaction sends count from here: a chain that mines
// only on demand (a devnet left idle) may hold a latest block older than the apply window, and a
// deadline counted from it would have passed when the transaction is mined (DeadlineInPast).
export async function nextBlockTime(provider) {
  const latest = Number((await provider.getBlock('latest')).timestamp);
  let pending = null;
  try {
    pending = await provider.getBlock('pending');
  } catch (_) { /* a node without a pending block: the latest is all it tells */ }
  return pending ? Math.max(latest, Number(pending.timestamp)) : latest;
}

export function has(name) { return Boolean(deployment && deployment.addresses[name]); }

export function contract(name, runner) {
  if (!has(name)) throw new Error(`the deployment has no ${name} contract`);
  return new ethers.Contract(deployment.addresses[name], deployment.abis[name], runner);
}

export function abiHas(name, fragment) {
  return has(name) && deployment.abis[name].some((e) => e.name === fragment);
}

function findRevertData(err, depth = 0) {
  if (!err || depth > 6) return null;
  if (typeof err === 'string') return /^0x[0-9a-fA-F]{8,}$/.test(err) ? err : null;
  if (typeof err !== 'object') return null;
  for (const key of ['data', 'error', 'info', 'cause', 'payload']) {
    const found = findRevertData(err[key], depth + 1);
    if (found) return found;
  }
  return null;
}

// A readable reason: the custom error with its values (InsufficientFreeStake(node=0x…, have=1, need=2)),
// Error(string), a panic, a user rejection, or the provider's message.
export function describeError(err) {
  if (err && (err.code === 4001 || err.code === 'ACTION_REJECTED' || (err.info && err.info.error && err.info.error.code === 4001))) {
    return 'rejected in the wallet';
  }
  const data = findRevertData(err);
  if (data && errorsInterface) {
    try {
      const parsed = errorsInterface.parseError(data);
      if (parsed) {
        const args = parsed.fragment.inputs.map(
          (input, i) => `${input.name || `arg${i}`}=${readable(parsed.name, i, parsed.args[i])}`);
        return `${parsed.name}(${args.join(', ')})`;
      }
    } catch (_) { /* not a known custom error: fall through */ }
    if (data.startsWith('0x08c379a0')) return `reverted: ${ethers.AbiCoder.defaultAbiCoder().decode(['string'], '0x' + data.slice(10))[0]}`;
    if (data.startsWith('0x4e487b71')) return `panic 0x${BigInt('0x' + data.slice(10)).toString(16)}`;
    return `reverted with unknown error ${data.slice(0, 10)}`;
  }
  return (err && (err.shortMessage || err.reason || err.message)) || String(err);
}
