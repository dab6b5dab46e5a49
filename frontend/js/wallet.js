// Wallet connection over EIP-1193, with providers discovered by EIP-6963 (and window.ethereum as a
// legacy fallback). The app never holds a key: every write is signed in the user's wallet.
import { ethers } from '/vendor/ethers.js';
import { getDeployment } from './chain.js';

const wallets = new Map(); // uuid -> {info, provider}
const listeners = new Set();
export const state = { wallet: null, account: null, chainId: null, browserProvider: null };

function notify() { for (const fn of listeners) fn(state); }
export function onChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }

export function discover() {
  window.addEventListener('eip6963:announceProvider', (event) => {
    const { info, provider } = event.detail || {};
    if (info && provider && !wallets.has(info.uuid)) { wallets.set(info.uuid, { info, provider }); notify(); }
  });
  window.dispatchEvent(new Event('eip6963:requestProvider'));
}

export function available() {
  const found = [...wallets.values()];
  if (found.length === 0 && window.ethereum) {
    found.push({ info: { uuid: 'legacy', name: 'Browser wallet', rdns: 'legacy' }, provider: window.ethereum });
  }
  return found;
}

export async function connect(uuid) {
  const choice = available().find((w) => w.info.uuid === uuid) || available()[0];
  if (!choice) throw new Error('no wallet found: install MetaMask or another EIP-6963 wallet');
  const { provider } = choice;
  const accounts = await provider.request({ method: 'eth_requestAccounts' });
  state.wallet = choice;
  state.account = accounts[0] ? ethers.getAddress(accounts[0]) : null;
  state.chainId = await provider.request({ method: 'eth_chainId' });
  provider.on?.('accountsChanged', (list) => {
    state.account = list && list[0] ? ethers.getAddress(list[0]) : null;
    state.browserProvider = new ethers.BrowserProvider(provider);
    notify();
  });
  provider.on?.('chainChanged', (id) => { state.chainId = id; state.browserProvider = new ethers.BrowserProvider(provider); notify(); });
  await ensureChain();
  state.browserProvider = new ethers.BrowserProvider(provider);
  notify();
  return state;
}

// Whether the wallet is on `chain` ({chain_id, ...}; default: the deployment's home chain).
export function onRightChain(chain = getDeployment()) {
  return Boolean(chain && state.chainId && BigInt(state.chainId) === BigInt(chain.chain_id));
}

// Switches the wallet to `chain` ({chain_id, chain_id_hex, rpc_url, name?}; default: the
// deployment's home chain), adding it first when the wallet does not know it.
export async function ensureChain(chain = getDeployment()) {
  if (!state.wallet || onRightChain(chain)) return;
  const provider = state.wallet.provider;
  try {
    await provider.request({ method: 'wallet_switchEthereumChain', params: [{ chainId: chain.chain_id_hex }] });
  } catch (err) {
    if (err && (err.code === 4902 || (err.data && err.data.originalError && err.data.originalError.code === 4902))) {
      await provider.request({ method: 'wallet_addEthereumChain', params: [{
        chainId: chain.chain_id_hex, chainName: `NNC ${chain.name || 'devnet'} ${chain.chain_id}`, rpcUrls: [chain.rpc_url],
        nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 } }] });
    } else {
      throw err;
    }
  }
  state.chainId = await provider.request({ method: 'eth_chainId' });
}

// A signer for the connected account on `chain` (default: home), switching the wallet there first.
export async function signerOn(chain = getDeployment()) {
  if (!state.wallet || !state.account) throw new Error('connect a wallet first');
  if (!onRightChain(chain)) await ensureChain(chain);
  state.browserProvider = new ethers.BrowserProvider(state.wallet.provider);
  return state.browserProvider.getSigner(state.account);
}

export async function signer() {
  return signerOn();
}

export function reader() {
  if (state.browserProvider) return state.browserProvider;
  return null;
}
