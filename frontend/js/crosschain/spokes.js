// Spoke chains: other chains where a requester pays in that chain's native coin through a
// SpokeGateway, over Hyperlane, for a task published on the home chain (where the market is). The
// deployment (GET /deployment) lists them under `spokes`: name, chain id, RPC URL, Hyperlane
// domain, the gateway's address and ABI. Reads go to each chain's own RPC; writes switch the
// wallet to the spoke first (wallet.signerOn) and back to home for the next home transaction.
import { ethers } from '/vendor/ethers.js';
import { getDeployment, has } from '../chain.js';
import { ENUMS } from '../generated/protocol.js';

const readers = new Map(); // chain id -> JsonRpcProvider

export function spokes() {
  const d = getDeployment();
  return (d && d.spokes) || [];
}

export function spokeByChain(chainId) {
  return spokes().find((s) => BigInt(s.chain_id) === BigInt(chainId)) || null;
}

// A read-only provider for a chain of the deployment (home or spoke), by its RPC URL.
export function chainReader(chain) {
  const key = String(chain.chain_id);
  if (!readers.has(key)) readers.set(key, new ethers.JsonRpcProvider(chain.rpc_url, Number(chain.chain_id), { staticNetwork: true }));
  return readers.get(key);
}

export function homeChain() {
  const d = getDeployment();
  return { name: 'home', chain_id: d.chain_id, chain_id_hex: d.chain_id_hex, rpc_url: d.rpc_url };
}

export function spokeGateway(spoke, runner) {
  return new ethers.Contract(spoke.addresses.SpokeGateway, spoke.abis.SpokeGateway, runner || chainReader(spoke));
}

// The home gateway, read through the home chain's RPC (null when the deployment has none).
export function homeGateway(runner) {
  if (!has('HomeGateway')) return null;
  const d = getDeployment();
  return new ethers.Contract(d.addresses.HomeGateway, d.abis.HomeGateway, runner || chainReader(homeChain()));
}

const TASK_PARAMS = 'tuple(bytes32 specDigest, string specURI, address token, uint256 budget, uint8 replication, '
  + 'address strategy, uint96 collateral, uint8 minHardwareClass, uint64 applyDeadline, uint64 deadline, '
  + 'uint64 computeUnits, uint16 minReputation)';

// The `spec` bytes a SpokeGateway carries home: abi.encode(ITaskMarket.TaskParams). Token and budget
// are replaced at home by the native coin and the escrowed budget; they are sent as given.
export function encodeTaskParams(p) {
  return ethers.AbiCoder.defaultAbiCoder().encode([TASK_PARAMS], [[p.specDigest, p.specURI, p.token, p.budget,
    p.replication, p.strategy, p.collateral, p.minHardwareClass, p.applyDeadline, p.deadline, p.computeUnits, p.minReputation]]);
}

// Where escrow `escrowId` of `spoke` stands: its status on the spoke and, once the home gateway
// published it, the home task id (null before; 'refused' when the home chain refused it).
export async function escrowState(spoke, escrowId) {
  const gateway = spokeGateway(spoke);
  const e = await gateway.escrows(escrowId);
  const status = ENUMS.Status[Number(e.status)] || String(e.status); // SpokeGateway.Status
  let taskId = null;
  const home = homeGateway();
  if (home) {
    const id = await home.taskOf(spoke.domain, escrowId);
    if (id === ethers.MaxUint256) taskId = 'refused';
    else if (id > 0n) taskId = id.toString();
  }
  return { status, deadline: Number(e.deadline), budget: e.budget, payer: e.payer, taskId };
}

// What `account` has credited on each spoke (refunds, reclaims, payouts), claimable there.
export async function creditsOf(account) {
  return Promise.all(spokes().map(async (spoke) => {
    try {
      return { spoke, credit: await spokeGateway(spoke).credits(account), error: null };
    } catch (err) {
      return { spoke, credit: null, error: err.shortMessage || err.message };
    }
  }));
}
