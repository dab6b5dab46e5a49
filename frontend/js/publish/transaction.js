// Publishing a task: the budget against the wallet's balance, the uploaded dataset named in the spec,
// the spec stored by the API, the ERC-20 budget approved to the market, then TaskMarket.publish with
// its windows counted from the next block's time (nextBlockTime); the task id comes from the TaskPublished event.
import { api } from '../api.js';
import { contract, getDeployment, nextBlockTime } from '../chain.js';
import { amount } from '../format.js';
import { send } from '../tx.js';
import { approveIfNeeded, erc20, findEvent, isEth, tokenBalance } from '../components/transaction-flow.js';
import { uploadInChunks } from './chunked-upload.js';

// Why `account` cannot pay the budget, or null when it can.
export async function budgetShortfall(signer, account, market) {
  const balance = await tokenBalance(signer, market.token, account);
  if (balance >= market.budget) return null;
  return `Budget: your balance is ${amount(balance, market.symbol)}, less than ${amount(market.budget, market.symbol)}.`;
}

// Uploads `file` and names it in the spec as dataset.uri; a bundled set's digest (from the form) is
// dropped since it does not describe the upload. A file over the API's limit goes straight to the
// storage node in chunks (onProgress(sent, total) after each). Resolves to the upload's
// {uri, size, sha256?} (no sha256 for a direct upload: the node checks it by CID).
export async function attachDataset(spec, file, { dropDigest, onProgress = () => {} }) {
  let data;
  const target = file.size > 0 ? await api.get('/uploads/target') : null;
  if (target && target.url && file.size > target.api_limit_bytes) {
    data = await uploadInChunks(file, target.url, { chunkBytes: target.chunk_bytes, onProgress });
  } else {
    data = await api.upload('dataset', file);
  }
  if (dropDigest) delete spec.dataset.digest;
  spec.dataset.uri = data.uri;
  return data;
}

// Stores the spec and publishes the task; resolves to its id (a decimal string).
export async function publishTask(signer, account, spec, market) {
  const d = getDeployment();
  const stored = await api.postJson('/specs', spec);
  const marketContract = contract('TaskMarket', signer);
  if (!isEth(market.token)) {
    await approveIfNeeded(erc20(market.token, signer), account, d.addresses.TaskMarket, market.budget, market.symbol);
  }
  const now = await nextBlockTime(signer.provider);
  const taskParams = {
    specDigest: stored.spec_digest, specURI: stored.uri, token: market.token, budget: market.budget,
    replication: market.replication, strategy: market.strategy, collateral: market.collateral,
    minHardwareClass: market.minClass, applyDeadline: now + market.applyWindow, deadline: now + market.deadline,
    computeUnits: stored.compute_units, minReputation: market.minReputation,
  };
  const receipt = await send(`Publish "${spec.name}"`, marketContract.publish, [taskParams], { value: isEth(market.token) ? market.budget : 0n });
  return findEvent(receipt, marketContract, 'TaskPublished').args.taskId.toString();
}
