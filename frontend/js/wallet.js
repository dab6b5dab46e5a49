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

export function onRightChain() {
  const d = getDeployment();
  return Boolean(d && state.chainId && BigInt(state.chainId) === BigInt(d.chain_id));
}

// Switches the wallet to the deployment's chain, adding it first when the wallet does not know it.
export async function ensureChain() {
  const d = getDeployment();
  if (!state.wallet || onRightChain()) return;
  const provider = state.wallet.provider;
  try {
    await provider.request({ method: 'wallet_switchEthereumChain', params: [{ chainId: d.chain_id_hex }] });
  } catch (err) {
    if (err && (err.code === 4902 || (err.data && err.data.originalError && err.data.originalError.code === 4902))) {
      await provider.request({ method: 'wallet_addEthereumChain', params: [{
        chainId: d.chain_id_hex, chainName: `NNC devnet ${d.chain_id}`, rpcUrls: [d.rpc_url],
        nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 } }] });
    } else {
      throw err;
    }
  }
  state.chainId = await provider.request({ method: 'eth_chainId' });
}

export async function signer() {
  if (!state.wallet || !state.account) throw new Error('connect a wallet first');
  if (!onRightChain()) await ensureChain();
  state.browserProvider = new ethers.BrowserProvider(state.wallet.provider);
  return state.browserProvider.getSigner(state.account);
}

export function reader() {
  if (state.browserProvider) return state.browserProvider;
  return null;
}
